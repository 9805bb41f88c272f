using System.Management.Automation;
using IncusBackup.Configuration;
using IncusBackup.Copy;
using IncusBackup.Errors;
using IncusBackup.PowerShell.Infrastructure;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Commands;

/// <summary>
/// Copies backups into another repository (-Destination), from any backend to any backend: the piped records, or
/// those -Name and the other filters select in -Target. Every file is verified against its checksums on the way and
/// the copy is published with the source's own manifest and checksums at the same version (BackupCopier). What the
/// destination holds already is skipped (its record is written); another backup at the same version is a
/// BackupVersionConflict. Writes the destination's record of each backup.
/// </summary>
[Cmdlet(VerbsCommon.Copy, "IncusBackup", DefaultParameterSetName = ByNameSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(BackupRecord))]
public sealed class CopyIncusBackupCommand : RepositoryCmdlet
{
    private const string ByNameSet = "ByName";
    private const string InputObjectSet = "InputObject";

    private readonly List<CopyItem> _items = [];
    private readonly List<(string? Project, string Name)> _names = [];
    private RepositoryTarget? _destination;

    /// <summary>Backups to copy, usually from Get-IncusBackup.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public BackupRecord[] InputObject { get; set; } = [];

    /// <summary>The repository to copy into, written as -Target is: 'dir:/path', a plain path, or 'restic:&lt;repository&gt;'.</summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    [Parameter(ParameterSetName = ByNameSet)]
    public BackupKind? Kind { get; set; }

    /// <summary>Resource names; wildcards allowed. For volumes "pool/name" works too, for images an alias.</summary>
    [Parameter(Position = 0, ParameterSetName = ByNameSet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.BackupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter(ParameterSetName = ByNameSet)]
    [ArgumentCompleter(typeof(Completers.PoolNameCompleter))]
    public string? Pool { get; set; }

    /// <summary>Only the backups of this Incus server, by name (wildcards allowed), as Get-IncusBackup -ServerName.</summary>
    [Parameter(ParameterSetName = ByNameSet)]
    [SupportsWildcards]
    public string? ServerName { get; set; }

    /// <summary>One version (YYYYMMDDThhmmssZ).</summary>
    [Parameter(ParameterSetName = ByNameSet)]
    [ArgumentCompleter(typeof(Completers.BackupVersionCompleter))]
    public string? Version { get; set; }

    /// <summary>Only the newest backup of each resource.</summary>
    [Parameter(ParameterSetName = ByNameSet)]
    public SwitchParameter Latest { get; set; }

    /// <summary>Backups taken after this time.</summary>
    [Parameter(ParameterSetName = ByNameSet)]
    public DateTime? After { get; set; }

    /// <summary>Backups taken before this time.</summary>
    [Parameter(ParameterSetName = ByNameSet)]
    public DateTime? Before { get; set; }

    /// <summary>How many backups are copied at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 2;

    /// <summary>The password of an encrypted destination (restic); -RepositoryCredential is the source's.</summary>
    [Parameter]
    [Credential]
    public PSCredential? DestinationCredential { get; set; }

    /// <summary>Create the destination first when it does not exist yet (a restic repository is never created without it).</summary>
    [Parameter]
    public SwitchParameter Initialize { get; set; }

    protected override void BeginProcessing()
    {
        EnsureValidVersion(Version);
        try
        {
            _destination = TargetResolver.Parse(Destination, SessionState.Path.CurrentFileSystemLocation.ProviderPath, "parameter -Destination")
                with { Password = DestinationCredential?.GetNetworkCredential().Password };
        }
        catch (IncusBackupException e)
        {
            ThrowTerminating(e);
        }
        WriteVerbose($"Destination: {_destination}.");
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName != InputObjectSet)
        {
            _names.AddRange(Name.Select(n => (Project, n)));
            return;
        }
        foreach (var record in InputObject)
        {
            EnsureNotDestination(record.Repository, record.ToString());
            if (RepositoryOf(record) is { } repository) _items.Add(new CopyItem(repository, record));
        }
    }

    protected override void EndProcessing()
    {
        var destination = _destination!;
        if (ParameterSetName == ByNameSet)
        {
            var target = ResolveTarget();
            EnsureNotDestination(target.ToString(), target.ToString());
            var source = OpenRepositoryForRead(target);
            var (records, notFound) = new BackupSelection
            {
                Kind = Kind,
                Names = _names,
                Project = Project,
                Pool = Pool,
                ServerName = ServerName,
                Version = Version,
                Latest = Latest,
                After = After,
                Before = Before,
            }.Apply(ListBackups(source, Kind), source.Target);
            foreach (var error in notFound) WriteError(error);
            _items.AddRange(records.Select(r => new CopyItem(source, r)));
        }
        var items = _items.DistinctBy(i => (i.Backup.Repository, i.Backup.Location)).ToList();
        if (items.Count == 0) return;

        // Plan on the pipeline thread: what the destination holds already is skipped, a conflict is reported, the rest confirmed.
        var present = ListDestination(destination);
        var approved = new List<CopyItem>();
        foreach (var item in items)
        {
            BackupRecord? existing;
            try
            {
                existing = present.Copier?.Existing(item.Backup);
            }
            catch (IncusBackupException e)
            {
                WriteError(e, item.Backup.ToString());
                continue;
            }
            if (existing is not null)
            {
                WriteVerbose($"{item.Backup} is already in {destination}: skipped.");
                if (!IsWhatIf()) WriteObject(existing);
                continue;
            }
            if (ShouldProcess($"{item.Backup} ({Bytes.Format(item.Backup.Size)}) -> {destination}", "Copy backup")) approved.Add(item);
        }
        if (approved.Count == 0) return;

        var repository = OpenRepositoryForWrite(destination, Initialize);
        using var hold = HoldShared(repository);
        try
        {
            repository.EnsureFreeSpace(approved.Sum(i => i.Backup.Size), $"{approved.Count} backup(s)");
        }
        catch (IncusBackupException e)
        {
            ThrowTerminating(e);
        }
        var copier = new BackupCopier(repository, present.Records);
        new ParallelRunner(this, $"Copying {approved.Count} backup(s) to {destination}").Run(
            approved, ThrottleLimit,
            (item, reporter, ct) => copier.CopyAsync(item.Source, item.Backup, reporter, ct),
            (_, outcome) => WriteObject(outcome.Record),
            (item, e) => WriteError(e, item.Backup.ToString()),
            PipelineStopToken);
    }

    /// <summary>The source is the destination: nothing could be copied, so the cmdlet stops before anything happens.</summary>
    private void EnsureNotDestination(string repository, string what)
    {
        if (!string.Equals(repository.TrimEnd('/'), _destination!.ToString().TrimEnd('/'), StringComparison.Ordinal)) return;
        ThrowTerminating(new IncusBackupException(ErrorIds.CopyToSameRepository, ErrorKind.InvalidArgument,
            $"{what} is in {_destination} already: the source and -Destination are the same repository.", what,
            "Give -Destination another repository (dir:/path or restic:<repository>)."));
    }

    /// <summary>
    /// What the destination holds, read without changing anything (so -WhatIf and a declined -Confirm leave no trace);
    /// a dir: repository that does not exist yet holds nothing, and the first copy creates it (a restic one only
    /// with -Initialize).
    /// </summary>
    private (IReadOnlyList<BackupRecord> Records, BackupCopier? Copier) ListDestination(RepositoryTarget destination)
    {
        IBackupRepository readable;
        try
        {
            readable = RepositoryFactory.OpenForRead(destination);
        }
        catch (IncusBackupException e) when ((e.ErrorId == ErrorIds.TargetNotFound && e.Kind == ErrorKind.NotFound)
            || (Initialize && e.ErrorId == ErrorIds.ResticRepositoryNotInitialized))
        {
            return ([], null);
        }
        catch (IncusBackupException e)
        {
            ThrowTerminating(e);
            throw; // not reached
        }
        var records = ListBackups(readable, null);
        return (records, new BackupCopier(readable, records));
    }

    private sealed record CopyItem(IBackupRepository Source, BackupRecord Backup)
    {
        public override string ToString() => Backup.ToString();
    }
}
