namespace IncusBackup.Backup;

/// <summary>
/// How the engine tells its host what is happening. Implementations must be thread-safe: parallel workers call
/// them. The PowerShell layer queues each call and replays it on the pipeline thread.
/// </summary>
public interface IBackupReporter
{
    void Verbose(string message);
    void Warning(string message);

    /// <summary>Progress of one item: a phase ("Creating server backup", "Downloading"), bytes so far and the total when known.</summary>
    void Progress(ItemProgress progress);
}

public sealed record ItemProgress(string Item, string Phase, long Bytes, long? TotalBytes, string? Detail = null);

/// <summary>A reporter that drops everything (tests, benchmarks).</summary>
public sealed class NullBackupReporter : IBackupReporter
{
    public static readonly NullBackupReporter Instance = new();
    public void Verbose(string message) { }
    public void Warning(string message) { }
    public void Progress(ItemProgress progress) { }
}
