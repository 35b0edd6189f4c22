// SPDX-License-Identifier: GPL-2.0
/* Powers the guest off; Debian's poweroff needs systemd, PID 1 has none. */
#include <stdio.h>
#include <sys/reboot.h>
#include <unistd.h>

int main(void)
{
	sync();
	reboot(RB_POWER_OFF);
	perror("reboot");
	return 1;
}
