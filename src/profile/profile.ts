/** An accepted exception to one control, with the reason and the day it ends. */
export interface Waiver {
  /** Control id, e.g. `ssh.permit-root-login`. */
  id: string;
  reason: string;
  /** Last day the waiver applies (YYYY-MM-DD, inclusive). After it the control reports `fail` again. */
  expires?: string;
}

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
  /** Whether the host replies to ICMP echo requests (ping), rate-limited. True when absent. */
  answerPing?: boolean;
  /**
   * Whether GRUB menu entries boot without the boot password (`--unrestricted`), so only editing
   * entries and the GRUB shell need it. Absent means true. With false, GRUB prompts for the password at every boot.
   */
  grubUnrestricted?: boolean;
  /** Kernel modules the site needs (squashfs for snaps and some images), which apply leaves loadable. */
  keepModules?: string[];
  waivers?: Waiver[];
}

export const EMPTY_PROFILE: Profile = {};
