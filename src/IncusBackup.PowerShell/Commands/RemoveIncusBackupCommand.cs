using System.Management.Automation;
using IncusBackup.Errors;
using IncusBackup.PowerShell.Infrastructure;
using IncusBackup.Repository;
using IncusBackup.Retention;

namespace IncusBackup.PowerShell.Commands;

/// <summary>
/// Removes backups: those a retention policy does not keep (restic's forget rules, per resource), or the records
/// piped in. The newest backup of a resource is never removed by a policy, and a piped one only with -Force. The
/// repository is held alone while backups go (a backup in progress makes it wait up to -LockTimeout).
/// </summary>
[Cmdlet(VerbsCommon.Remove, "IncusBackup", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = PolicySet)]
[OutputType(typeof(BackupRecord))]
public sealed class RemoveIncusBackupCommand : RepositoryCmdlet
{
    private const string PolicySet = "Policy";
    private const string InputObjectSet = "InputObject";

    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public BackupRecord[] InputObject { get; set; } = [];

    [Parameter(ParameterSetName = PolicySet)]
    public BackupKind? Kind { get; set; }

    [Parameter(Position = 0, ParameterSetName = PolicySet)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completers.BackupNameCompleter))]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter(ParameterSetName = PolicySet)]
    [ArgumentCompleter(typeof(Completers.PoolNameCompleter))]
    public string? Pool { get; set; }

    /// <summary>Only the backups of this Incus server, by name (wildcards allowed): a repository several hosts share.</summary>
    [Parameter(ParameterSetName = PolicySet)]
    [SupportsWildcards]
    public string? ServerName { get; set; }

    /// <summary>The spec's policy: "daily=7,weekly=4,monthly=12" (last, hourly, daily, weekly, monthly, yearly, within).</summary>
    [Parameter(ParameterSetName = PolicySet)]
    [ValidateNotNullOrEmpty]
    public string? Policy { get; set; }

    [Parameter(ParameterSetName = PolicySet)]
    [Alias("Keep")]
    [ValidateRange(1, int.MaxValue)]
    public int KeepLast { get; set; }

    [Parameter(ParameterSetName = PolicySet)]
    [ValidateRange(1, int.MaxValue)]
    public int KeepHourly { get; set; }

    [Parameter(ParameterSetName = PolicySet)]
    [ValidateRange(1, int.MaxValue)]
    public int KeepDaily { get; set; }

    [Parameter(ParameterSetName = PolicySet)]
    [ValidateRange(1, int.MaxValue)]
    public int KeepWeekly { get; set; }

    [Parameter(ParameterSetName = PolicySet)]
    [ValidateRange(1, int.MaxValue)]
    public int KeepMonthly { get; set; }

    [Parameter(ParameterSetName = PolicySet)]
    [ValidateRange(1, int.MaxValue)]
    public int KeepYearly { get; set; }

    /// <summary>Keep everything taken within this span of the newest backup: 1y6m, 14d, 2d12h.</summary>
    [Parameter(ParameterSetName = PolicySet)]
    [ValidateNotNullOrEmpty]
    public string? KeepWithin { get; set; }

    /// <summary>Remove a piped record even when it is the newest backup of its resource.</summary>
    [Parameter(ParameterSetName = InputObjectSet)]
    public SwitchParameter Force { get; set; }

    /// <summary>Write the removed records.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Seconds to wait for backups and restores that hold the repository to finish.</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int LockTimeout { get; set; }

    private readonly List<BackupRecord> _piped = [];
    private RetentionPolicy _policy = new();

    /// <summary>The policy from -Policy and the -Keep* parameters (they win); not before EndProcessing, when the parameter set is known.</summary>
    private void ReadPolicy()
    {
        try
        {
            _policy = Policy is null ? new RetentionPolicy() : RetentionPolicy.Parse(Policy);
            _policy = _policy with
            {
                Last = KeepLast > 0 ? KeepLast : _policy.Last,
                Hourly = KeepHourly > 0 ? KeepHourly : _policy.Hourly,
                Daily = KeepDaily > 0 ? KeepDaily : _policy.Daily,
                Weekly = KeepWeekly > 0 ? KeepWeekly : _policy.Weekly,
                Monthly = KeepMonthly > 0 ? KeepMonthly : _policy.Monthly,
                Yearly = KeepYearly > 0 ? KeepYearly : _policy.Yearly,
                Within = KeepWithin is null ? _policy.Within : RetentionDuration.Parse(KeepWithin),
            };
        }
        catch (IncusBackupException e)
        {
            ThrowTerminating(e);
        }
        if (_policy.IsEmpty)
        {
            ThrowTerminating(new IncusBackupException(ErrorIds.RetentionPolicyInvalid, ErrorKind.InvalidArgument,
                "Say what to keep: without a rule, Remove-IncusBackup would have nothing to go by.", null,
                "Add -KeepLast, -KeepDaily, -KeepWeekly, -KeepMonthly, -KeepYearly, -KeepHourly, -KeepWithin or -Policy 'daily=7,weekly=4,monthly=12'; or pipe the records to remove."));
        }
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == InputObjectSet) _piped.AddRange(InputObject);
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName == PolicySet)
        {
            ReadPolicy();
            // -WhatIf only lists: the repository is opened to read, so nothing in it is created or cleaned.
            var target = ResolveTarget();
            var repository = IsWhatIf() ? OpenRepositoryForRead(target) : OpenRepositoryForWrite(target);
            using var hold = HoldAlone(repository);
            var query = new BackupQuery { Kind = Kind, Names = Name, Project = Project, Pool = Pool, ServerName = ServerName };
            var decisions = RetentionPlanner.Apply(query.Apply(ListBackups(repository, Kind)), _policy, TimeZoneInfo.Local, DateTimeOffset.Now);
            foreach (var kept in decisions.Where(d => d.Keep)) WriteVerbose($"Keeping {kept.Backup}: {string.Join(", ", kept.Reasons)}.");
            var removed = Remove(repository, [.. decisions.Where(d => !d.Keep).Select(d => d.Backup)]);
            Summarize(repository, removed, decisions.Count(d => d.Keep), decisions.Select(d => (d.Backup.Kind, d.Backup.Project, d.Backup.Pool, d.Backup.Name)).Distinct().Count());
            return;
        }
        foreach (var group in _piped.DistinctBy(r => (r.Repository, r.Location)).GroupBy(r => r.Repository))
        {
            IBackupRepository repository;
            try
            {
                repository = IsWhatIf()
                    ? RepositoryFactory.OpenForRead(group.First(), RepositoryPassword)
                    : ReportLeftovers(RepositoryFactory.OpenForWrite(group.First(), ToolVersion, RepositoryPassword));
            }
            catch (IncusBackupException e)
            {
                WriteError(e, group.Key);
                continue;
            }
            using var hold = HoldAlone(repository);
            var listed = ListBackups(repository, null);
            var newest = listed.GroupBy(ResourceIdentity.Of)
                .Select(g => g.MaxBy(r => BackupVersion.Parse(r.Version))!.Location).ToHashSet(StringComparer.Ordinal);
            // As the repository has it now: a record piped from an earlier listing may predate its protection.
            var protectedNow = listed.Where(r => r.Protected).Select(r => r.Location).ToHashSet(StringComparer.Ordinal);
            var doomed = new List<BackupRecord>();
            foreach (var record in group)
            {
                if (record.Protected || protectedNow.Contains(record.Location))
                {
                    WriteError(new IncusBackupException(ErrorIds.BackupProtected, ErrorKind.InvalidArgument,
                        $"{record} is protected; it was kept.", record.ToString(),
                        "Lift the mark first: pipe it to Unprotect-IncusBackup."), record.ToString());
                    continue;
                }
                if (newest.Contains(record.Location) && !Force)
                {
                    WriteError(new IncusBackupException(ErrorIds.NewestBackupKept, ErrorKind.InvalidArgument,
                        $"{record} is the newest backup of {record.Project}/{record.Name}; it was kept.", record.ToString(),
                        "Add -Force to remove the newest backup too."), record.ToString());
                    continue;
                }
                doomed.Add(record);
            }
            Summarize(repository, Remove(repository, doomed), kept: null, resources: null);
        }
    }

    /// <summary>The repository alone for the removals; not needed (and not waited for) when -WhatIf only lists them.</summary>
    private IDisposable? HoldAlone(IBackupRepository repository) =>
        IsWhatIf() ? null : AwaitOrStop(ct => repository.LockAsync(RepositoryLockMode.Exclusive, TimeSpan.FromSeconds(LockTimeout), ct));

    private List<BackupRecord> Remove(IBackupRepository repository, IReadOnlyList<BackupRecord> doomed)
    {
        var removed = new List<BackupRecord>();
        foreach (var record in doomed.OrderBy(r => r.Kind).ThenBy(r => r.Project, StringComparer.Ordinal)
                     .ThenBy(r => r.Pool, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Timestamp))
        {
            if (!ShouldProcess($"{record} ({Bytes.Format(record.Size)}) in {repository.Target}", "Remove backup")) continue;
            try
            {
                Await(async ct =>
                {
                    await repository.RemoveAsync(record, ct).ConfigureAwait(false);
                    return true;
                });
            }
            catch (IncusBackupException e)
            {
                WriteError(e, record.ToString());
                continue;
            }
            removed.Add(record);
            if (PassThru) WriteObject(record);
        }
        if (removed.Count > 0) Compact(repository);
        return removed;
    }

    /// <summary>
    /// Frees the removed backups' space once for all of them (restic prune). The removals stand if it fails: the
    /// space is freed by the next removal's compaction.
    /// </summary>
    private void Compact(IBackupRepository repository)
    {
        var progress = new ProgressRecord(1, $"Freeing the space of removed backups in {repository.Target}", "compacting") { PercentComplete = -1 };
        WriteProgress(progress);
        try
        {
            Await(async ct =>
            {
                await repository.CompactAsync(ct).ConfigureAwait(false);
                return true;
            });
        }
        catch (IncusBackupException e)
        {
            WriteError(e, repository.Target);
        }
        finally
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }
    }

    private void Summarize(IBackupRepository repository, List<BackupRecord> removed, int? kept, int? resources)
    {
        if (IsWhatIf()) return;
        var keptPart = kept is null ? "" : $", kept {kept} of {resources} resource(s) by {_policy}";
        WriteInformation(new HostInformationMessage
        {
            Message = $"Removed {removed.Count} backup(s) ({Bytes.Format(removed.Sum(r => r.Size))}) from {repository.Target}{keptPart}.",
        }, ["PSHOST"]);
    }
}
