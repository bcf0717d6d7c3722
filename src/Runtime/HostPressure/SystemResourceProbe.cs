using System.Diagnostics;
using System.Globalization;

namespace GuardedAI;

/// <summary>
/// Samples this machine. CPU: on Linux the whole host's busy share from <c>/proc/stat</c> between two samples;
/// elsewhere this process's CPU time over the wall time of the engine's clock, divided by the processor count. Memory:
/// on Linux the cgroup's limit and usage when the process runs in a limited container (v2, then v1), else
/// <c>MemTotal</c> − <c>MemAvailable</c> from <c>/proc/meminfo</c>; elsewhere the GC's view of the memory load. Disk:
/// used over total space of the drive holding the watched path.
/// </summary>
internal sealed class SystemResourceProbe : IHostResourceProbe
{
    private readonly TimeProvider _time;
    private readonly string _diskPath;
    private (ulong Busy, ulong Total)? _lastStat;
    private (TimeSpan Cpu, long Timestamp)? _lastProcess;

    public SystemResourceProbe(TimeProvider time, string? diskPath)
    {
        _time = time;
        _diskPath = Path.GetFullPath(string.IsNullOrWhiteSpace(diskPath) ? Directory.GetCurrentDirectory() : diskPath);
    }

    public HostResourceSample Sample() => new(Cpu(), Memory(), Disk());

    private double? Cpu()
    {
        if (OperatingSystem.IsLinux() && ReadProcStat() is { } stat)
        {
            var last = _lastStat;
            _lastStat = stat;
            if (last is not { } previous || stat.Total <= previous.Total) return null;
            return Percent(stat.Busy - previous.Busy, stat.Total - previous.Total);
        }
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var now = _time.GetTimestamp();
        var before = _lastProcess;
        _lastProcess = (cpu, now);
        if (before is not { } p) return null;
        var wall = _time.GetElapsedTime(p.Timestamp, now);
        return wall <= TimeSpan.Zero ? null : Math.Clamp((cpu - p.Cpu).TotalSeconds / (wall.TotalSeconds * Environment.ProcessorCount) * 100, 0, 100);
    }

    private static (ulong Busy, ulong Total)? ReadProcStat()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var line = reader.ReadLine();
            if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal)) return null;
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            ulong total = 0, idle = 0;
            // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
            for (var i = 1; i < fields.Length && i <= 8; i++)
            {
                var value = ulong.Parse(fields[i], CultureInfo.InvariantCulture);
                total += value;
                if (i is 4 or 5) idle += value;
            }
            return (total - idle, total);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return null;
        }
    }

    private static double? Memory()
    {
        if (OperatingSystem.IsLinux())
        {
            if (CgroupMemory() is { } cgroup) return cgroup;
            if (MemInfo() is { } host) return host;
        }
        var info = GC.GetGCMemoryInfo();
        return info.TotalAvailableMemoryBytes > 0 ? Percent((ulong)info.MemoryLoadBytes, (ulong)info.TotalAvailableMemoryBytes) : null;
    }

    private static double? CgroupMemory()
    {
        var limit = ReadNumber("/sys/fs/cgroup/memory.max") ?? ReadNumber("/sys/fs/cgroup/memory/memory.limit_in_bytes");
        var usage = ReadNumber("/sys/fs/cgroup/memory.current") ?? ReadNumber("/sys/fs/cgroup/memory/memory.usage_in_bytes");
        // cgroup v1 reports "no limit" as a huge number: only a limit below the machine's memory is a real one.
        var machine = (ulong)GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return limit is { } l && usage is { } u && l > 0 && (machine == 0 || l < machine * 4) ? Percent(u, l) : null;
    }

    private static double? MemInfo()
    {
        try
        {
            ulong? total = null, available = null;
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal)) total = Kilobytes(line);
                else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)) available = Kilobytes(line);
                if (total is not null && available is not null) break;
            }
            return total is > 0 && available is { } a ? Percent(total.Value - Math.Min(a, total.Value), total.Value) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static ulong Kilobytes(string line) =>
        ulong.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    private static ulong? ReadNumber(string path)
    {
        try
        {
            var text = File.ReadAllText(path).Trim();
            return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null; // "max" → no limit
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private double? Disk()
    {
        try
        {
            var drive = new DriveInfo(Path.GetPathRoot(_diskPath) is { Length: > 0 } root && !OperatingSystem.IsLinux() ? root : MountPoint(_diskPath));
            return drive.TotalSize > 0 ? Percent((ulong)(drive.TotalSize - drive.AvailableFreeSpace), (ulong)drive.TotalSize) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The mount point holding <paramref name="path"/> (the longest mounted prefix), read from <c>/proc/mounts</c>.</summary>
    private static string MountPoint(string path)
    {
        var best = "/";
        try
        {
            foreach (var line in File.ReadLines("/proc/mounts"))
            {
                var fields = line.Split(' ');
                if (fields.Length < 2) continue;
                var mount = fields[1].Replace("\\040", " ", StringComparison.Ordinal);
                var prefix = mount.EndsWith('/') ? mount : mount + "/";
                if ((path == mount || path.StartsWith(prefix, StringComparison.Ordinal)) && mount.Length > best.Length) best = mount;
            }
        }
        catch (IOException)
        {
        }
        return best;
    }

    private static double Percent(ulong part, ulong whole) => whole == 0 ? 0 : Math.Clamp(part * 100.0 / whole, 0, 100);
}
