/**
 * Site choices that change what the guide asks for. Every field is optional; an absent field
 * means the site has not said, and controls that depend on it are not applicable.
 */
export interface Profile {
  /** `false` when the site does not use IPv6, which turns on the disable_ipv6 controls. */
  ipv6?: boolean;
  /** Ports sshd listens on; defaults to what sshd_config says. */
  sshPorts?: number[];
  /** Incoming TCP ports the firewall is meant to allow besides SSH. */
  allowTcp?: number[];
  /** Incoming UDP ports the firewall is meant to allow. */
  allowUdp?: number[];
}

export const EMPTY_PROFILE: Profile = {};
