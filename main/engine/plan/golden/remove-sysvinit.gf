# Guestprep 0.1.0: remove the ProActive node Guestprep installed (generated 2025-03-04T05:06:07.000Z).
#
# This guestfish script changes the image in place. Run it on a powered-off VM, after a backup:
#   guestfish --rw --format=vdi -a '/vms/worker.vdi' -i -f THIS_SCRIPT
# If KVM is not usable on this machine, prefix it with LIBGUESTFS_BACKEND_SETTINGS=force_tcg
#
# Node worker-01 (source Default) joins pnp://rm.example.org:64738; installed in /opt/proactive, service proactive-node (sysvinit), user proactive.
#
# At the next boot:
#   - The guest no longer starts the ProActive node at boot: the sysvinit service proactive-node is
#     gone.
#   - Removed the boot service proactive-node: /etc/init.d/proactive-node,
#     /etc/rc2.d/S99proactive-node, /etc/rc3.d/S99proactive-node, /etc/rc4.d/S99proactive-node,
#     /etc/rc5.d/S99proactive-node, /etc/rc0.d/K01proactive-node, /etc/rc1.d/K01proactive-node,
#     /etc/rc6.d/K01proactive-node.
#   - Took proactive-node out of /etc/init.d/.depend.start.
#   - Took proactive-node out of /etc/init.d/.depend.stop.
#   - Removed /opt/proactive (the Java runtime, the node, its logs and Guestprep's files).

# Step 1/3: Remove the boot service proactive-node (remove-boot-service)
rm-f "/etc/init.d/proactive-node"
rm-f "/etc/rc2.d/S99proactive-node"
rm-f "/etc/rc3.d/S99proactive-node"
rm-f "/etc/rc4.d/S99proactive-node"
rm-f "/etc/rc5.d/S99proactive-node"
rm-f "/etc/rc0.d/K01proactive-node"
rm-f "/etc/rc1.d/K01proactive-node"
rm-f "/etc/rc6.d/K01proactive-node"

# Step 2/3: Take the service out of insserv's boot order (restore-insserv)
# Content of /etc/init.d/.depend.start:
# | TARGETS = rsyslog cron rc.local
# | INTERACTIVE =
# | cron: rsyslog
write "/etc/init.d/.depend.start" "TARGETS = rsyslog cron rc.local\nINTERACTIVE =\ncron: rsyslog\n"
chown "0" "0" "/etc/init.d/.depend.start"
chmod "0644" "/etc/init.d/.depend.start"
# Content of /etc/init.d/.depend.stop:
# | TARGETS = halt reboot
write "/etc/init.d/.depend.stop" "TARGETS = halt reboot"
chown "0" "0" "/etc/init.d/.depend.stop"
chmod "0644" "/etc/init.d/.depend.stop"

# Step 3/3: Remove /opt/proactive (remove-install-dir)
rm-rf "/opt/proactive"
