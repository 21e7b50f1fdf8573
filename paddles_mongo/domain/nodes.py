"""Node records (spec §4.3)."""


def new_node(name, machine_type=None):
    """A node as first recorded: unlocked, `up` unknown."""
    return {
        "name": name, "description": None, "up": None, "machine_type": machine_type,
        "arch": None, "is_vm": False, "os_type": None, "os_version": None, "vm_host": None,
        "locked": False, "locked_by": None, "locked_since": None, "mac_address": None,
        "ssh_pub_key": None,
    }
