export { USER_NAME_PATTERN, USER_NAME_RULE, ROOM_NAME_PATTERN, ROOM_NAME_RULE, isUserName, isRoomName } from './names.ts'
