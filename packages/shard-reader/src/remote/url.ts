// Which dataset locations are remote: kept apart from the stores so checking a path loads no SDK.

export function isRemoteUrl(location: string): boolean {
  return /^(s3|https?):\/\//i.test(location);
}
