/**
 * Site choices that change what the guide requires. Every field is optional. An absent field
 * leaves the choice open, so controls that depend on it are not applicable.
 */
export interface Profile {
  /** `false` when the site does not use IPv6, which turns on the disable_ipv6 controls. */
  ipv6?: boolean;
  /** Ports sshd listens on; by default the Port and ListenAddress lines of sshd_config. */
  sshPorts?: number[];
  /** Incoming TCP ports the firewall is meant to allow besides SSH. */
  allowTcp?: number[];
  /** Incoming UDP ports the firewall is meant to allow. */
  allowUdp?: number[];
  /** Whether the host answers ICMP echo requests (rate-limited); absent means true. */
  answerPing?: boolean;
}

export const EMPTY_PROFILE: Profile = {};
