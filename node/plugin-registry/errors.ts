/**
 * Errors of the plugin registry, one class per failure, matched by `name`, each with its kind
 * (protocols/errors.ts). The catalog's own refusals are actors/entities' (PluginCatalogError,
 * UnknownPluginError, PluginPackageError, PluginPackageMissingError).
 */

/** A package that is not one Plexi installs: not a gzipped tar, an entry that escapes its folder,
 * a link, a device, an entry too large, no manifest at its root. Nothing is stored. */
export class InvalidPluginPackageError extends Error {
  override readonly name = 'InvalidPluginPackageError'
  readonly kind = 'invalid'
}

/** A manifest whose `plexi` range does not include the plugin API this node speaks. */
export class PluginApiVersionError extends Error {
  override readonly name = 'PluginApiVersionError'
  readonly kind = 'invalid'
}

/** A package fetched from the registry whose bytes do not hash to its digest (a damaged copy):
 * nothing of it is unpacked; the member tries again later. */
export class PluginDigestMismatchError extends Error {
  override readonly name = 'PluginDigestMismatchError'
  readonly kind = 'unavailable'
}
