namespace IncusBackup;

/// <summary>How a backup fared in Test-IncusBackup.</summary>
public enum TestStatus
{
    Passed,
    Failed,
}

/// <summary>What one check of a backup found.</summary>
public enum CheckOutcome
{
    Passed,
    Failed,

    /// <summary>Not run: it does not apply to this kind, or what it needs could not be read (another check says why).</summary>
    Skipped,
}

/// <summary>One named check of a backup (Checksums, Manifest, Archive, Content, Restore) and what it found.</summary>
public sealed class TestCheck
{
    public required string Name { get; init; }
    public required CheckOutcome Outcome { get; init; }

    /// <summary>True unless the check failed (a skipped check fails nothing).</summary>
    public bool Passed => Outcome != CheckOutcome.Failed;
    public required string Message { get; init; }

    /// <summary>The stable ErrorId of a failed check (ChecksumMismatch, ManifestInvalid, ArchiveCorrupt, ArchiveMismatch...).</summary>
    public string? ErrorId { get; init; }

    public override string ToString() => $"{Name}: {Outcome} ({Message})";
}

/// <summary>What Test-IncusBackup found for one backup: one per backup tested.</summary>
public sealed class TestResult
{
    public required BackupRecord Backup { get; init; }
    public BackupKind Kind => Backup.Kind;
    public string Project => Backup.Project;
    public string Name => Backup.Name;
    public string Version => Backup.Version;

    /// <summary>Failed when any check failed.</summary>
    public TestStatus Status => Checks.Any(c => c.Outcome == CheckOutcome.Failed) ? TestStatus.Failed : TestStatus.Passed;
    public required IReadOnlyList<TestCheck> Checks { get; init; }

    /// <summary>The messages of the failed checks.</summary>
    public string[] Errors => [.. Checks.Where(c => c.Outcome == CheckOutcome.Failed).Select(c => $"{c.Name}: {c.Message}")];

    /// <summary>The ErrorId of the first failed check (in check order), or null when it passed.</summary>
    public string? ErrorId => Checks.FirstOrDefault(c => c.Outcome == CheckOutcome.Failed)?.ErrorId;
    public TimeSpan Duration { get; init; }

    public override string ToString() => $"{Status} {Backup}";
}
