namespace IncusBackup.IO;

/// <summary>
/// Who left something behind: this process as "pid@boot id". A run is dead when its pid is gone or the host has
/// rebooted since (a pid alone can be reused after a reboot).
/// </summary>
internal static class RunOwner
{
    public static string Current => $"{Environment.ProcessId}@{BootId()}";

    /// <summary>True when <paramref name="owner"/> ("pid@boot id") names a run of this host that no longer runs.</summary>
    public static bool IsDead(string owner)
    {
        var at = owner.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || !int.TryParse(owner.AsSpan(0, at), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid))
            return false;
        return IsDead(pid, owner[(at + 1)..]);
    }

    public static bool IsDead(int pid, string bootId) =>
        pid != Environment.ProcessId && (bootId != BootId() || !Posix.ProcessExists(pid));

    public static string BootId()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
        }
        catch (IOException)
        {
            return "";
        }
    }
}
