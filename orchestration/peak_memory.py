"""How much memory this process holds and has held, as Linux reports it."""


def status_mib(field: str) -> float:
    """A memory figure of /proc/self/status (VmRSS, VmHWM, ...) in MiB."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024


def peak_rss_mib() -> float:
    """This process's peak RSS since it started its program (VmHWM). Not ru_maxrss: Linux
    carries that over from the parent through fork and exec, so a worker started by a
    process that once held gigabytes would report that process's peak."""
    return status_mib("VmHWM")
