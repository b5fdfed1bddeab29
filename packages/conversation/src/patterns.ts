// Token shapes shared by the classifier and the extractor.

/** AWS (`us-east-1`), GCP (`europe-west4`) region codes. */
const REGION_CODE =
  /^(?:(?:us|eu|ap|sa|ca|me|af|il|mx|cn|us-gov)-(?:east|west|north|south|central|northeast|southeast|northwest|southwest)-\d{1,2}|(?:us|europe|asia|australia|northamerica|southamerica|me|africa)-(?:east|west|central|north|south|northeast|southeast|southwest|northwest)\d{1,2})(?:-?[a-f])?$/;

/** Azure region names. */
export const AZURE_REGIONS: ReadonlySet<string> = new Set([
  "eastus",
  "eastus2",
  "westus",
  "westus2",
  "westus3",
  "centralus",
  "northcentralus",
  "southcentralus",
  "westcentralus",
  "northeurope",
  "westeurope",
  "uksouth",
  "ukwest",
  "francecentral",
  "germanywestcentral",
  "swedencentral",
  "norwayeast",
  "switzerlandnorth",
  "polandcentral",
  "italynorth",
  "southeastasia",
  "eastasia",
  "japaneast",
  "japanwest",
  "koreacentral",
  "australiaeast",
  "australiasoutheast",
  "centralindia",
  "southindia",
  "canadacentral",
  "canadaeast",
  "brazilsouth",
  "southafricanorth",
  "uaenorth",
  "qatarcentral",
]);

/** Cloud service and technology words that look like identifiers but are not names. */
const NOT_NAMES: ReadonlySet<string> = new Set([
  "ec2",
  "s3",
  "k8s",
  "route53",
  "gp2",
  "gp3",
  "io1",
  "io2",
  "ipv4",
  "ipv6",
  "http2",
  "ssl",
  "tls",
  "x86",
  "arm64",
  "amd64",
  "aarch64",
  "b2b",
  "24x7",
  "24/7",
  "p99",
  "p95",
  "p50",
  "utf-8",
  "e-mail",
  "t-shirt",
  "wi-fi",
  "node.js",
  "log4j",
  "oauth2",
  "mp3",
  "mp4",
  "covid-19",
  "2fa",
  "mfa",
  "sha256",
  "base64",
  "h100",
  "a100",
  "pre-prod",
  "pre-production",
  "on-call",
  "cost-effective",
  "up-to-date",
  "auto-scaling",
  "read-only",
  "read-write",
  "multi-az",
  "x509",
  "hello-world",
  "check-in",
  "follow-up",
  "roll-back",
  "set-up",
]);

/** Instance types: `t3.large`, `m5.xlarge`, `n2-standard-4`, `e2-medium`, `standard_d4s_v3`. */
export const INSTANCE_TYPE =
  /^(?:[a-z]{1,3}\d[a-z]{0,3}\.(?:nano|micro|small|medium|large|metal|\d{0,2}xlarge)|(?:n1|n2|n2d|e2|c2|c2d|c3|m1|m2|m3|t2a|t2d|a2|g2)-(?:standard|highmem|highcpu|medium|small|micro|megamem|ultramem)(?:-\d+)?|standard_[a-z]\d+[a-z]*(?:_v\d)?)$/;

/** A number with a size unit glued on: `16gb`, `512mib`, `2tb`. */
export const SIZE_GLUED = /^(\d+(?:\.\d+)?)(kb|kib|mb|mib|gb|gib|g|gig|gigs|tb|tib|t|m)$/;
/** A size unit on its own. */
export const SIZE_UNIT = /^(?:kb|kib|mb|mib|megabytes?|megs?|gb|gib|gigabytes?|gigs?|g|tb|tib|terabytes?|t)$/;

/** Cloud resource ids: EC2/EBS/VPC ids, ARNs, Azure resource paths, GCP resource paths. */
export const RESOURCE_ID =
  /^(?:(?:i|vol|snap|sg|subnet|vpc|ami|eni|igw|nat|rtb|acl|eipalloc|lt|db|cluster)-[0-9a-f]{6,17}|arn:[a-z0-9-]+:[a-z0-9-]+:[a-z0-9-]*:\d*:.+|\/subscriptions\/[0-9a-f-]+\/.+|projects\/[a-z0-9-]+\/.+)$/;

/** A token shaped like a resource name: letters and digits joined by `-`, `_` or `.`, or letters followed by digits. */
const NAME_SHAPE = /^(?=.*[a-z])[a-z0-9][a-z0-9]*(?:[-_.][a-z0-9]+)+$|^[a-z]{2,}\d+[a-z0-9]*$/;

/** Clock times, durations and counts that share a name's shape (`2am`, `30m`, `x3`, `1st`). */
const NOT_NAME_SHAPE =
  /^(?:\d+(?:am|pm|a\.m\.|p\.m\.)|\d+(?:st|nd|rd|th)|x\d+|\d+x|\d+(?:ms|s|sec|secs|m|min|mins|h|hr|hrs|d|w)|\d+(?:[:.]\d+)+|v\d+(?:\.\d+)*|\d+(?:vcpus?|cpus?|cores?)|\d+-?(?:core|node|vcpu|cpu|gb|tb|mb|day|hour|minute|week|month|year)s?)$/;

/** True when a lower-cased token is a region code or Azure region. */
export function isRegion(token: string): boolean {
  return REGION_CODE.test(token) || AZURE_REGIONS.has(token);
}

/** True when a lower-cased token looks like the name or id of a resource. */
export function isNameLike(token: string): boolean {
  if (RESOURCE_ID.test(token)) return true;
  if (!NAME_SHAPE.test(token)) return false;
  return (
    !NOT_NAMES.has(token) &&
    !NOT_NAME_SHAPE.test(token) &&
    !isRegion(token) &&
    !INSTANCE_TYPE.test(token) &&
    !SIZE_GLUED.test(token)
  );
}
