namespace IncusBackup.Reporting;

/// <summary>
/// How the engine tells its host what is happening, for backups, restores and verification alike.
/// Implementations must be thread-safe: parallel workers call them. The PowerShell layer queues each call and
/// replays it on the pipeline thread.
/// </summary>
public interface IReporter
{
    void Verbose(string message);
    void Warning(string message);

    /// <summary>Progress of one item: a phase ("Creating server backup", "Downloading"), bytes so far and the total when known.</summary>
    void Progress(ItemProgress progress);
}

/// <summary>One progress report of one item.</summary>
public sealed record ItemProgress(string Item, string Phase, long Bytes, long? TotalBytes, string? Detail = null)
{
    /// <summary>The status line a progress bar shows: "Downloading: 1.5 MiB of 3.0 MiB".</summary>
    public string Status =>
        TotalBytes is > 0 ? $"{Phase}: {IncusBackup.Bytes.Format(Bytes)} of {IncusBackup.Bytes.Format(TotalBytes.Value)}"
        : Bytes > 0 ? $"{Phase}: {IncusBackup.Bytes.Format(Bytes)}"
        : Detail is not null ? $"{Phase}: {Detail}"
        : Phase;

    /// <summary>0-100 when the total is known.</summary>
    public int? Percent => TotalBytes is > 0 ? (int)Math.Min(100, Bytes * 100 / TotalBytes.Value) : null;
}
