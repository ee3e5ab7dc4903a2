/** Jobs: long operations with progress (drains, decommissions, rebalances, migrations, repairs),
 * run and remembered by one node, listed and cancelled from any member. */
export { Jobs, jobSuffixOf, mayRunJob } from './jobs.ts'
export type { JobControl, JobProgress, JobsOptions } from './jobs.ts'
export { ClusterJobs } from './cluster-jobs.ts'
export type { ClusterJobsOptions, JobFilter } from './cluster-jobs.ts'
export { checkJob, checkJobList } from './check-job.ts'
export { DEFAULT_MAX_JOBS, JOBS_ASK_MS, MAX_JOBS_LISTED } from './constants.ts'
export { InvalidJobError, JobCancelledError, UnknownJobError } from './errors.ts'
export type { Job, JobKind, JobState } from '../../protocols/index.ts'
