using IncusBackup.Reporting;

namespace IncusBackup.Tests.Fakes;

/// <summary>A reporter that keeps what the engine told it, for assertions (thread-safe, as workers call it).</summary>
internal sealed class RecordingReporter : IReporter
{
    public List<string> Warnings { get; } = [];
    public List<string> VerboseLines { get; } = [];
    public List<ItemProgress> ProgressReports { get; } = [];

    public void Verbose(string message)
    {
        lock (VerboseLines) VerboseLines.Add(message);
    }

    public void Warning(string message)
    {
        lock (Warnings) Warnings.Add(message);
    }

    public void Progress(ItemProgress progress)
    {
        lock (ProgressReports) ProgressReports.Add(progress);
    }
}
