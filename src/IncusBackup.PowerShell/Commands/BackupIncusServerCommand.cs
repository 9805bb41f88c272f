using System.Diagnostics;
using System.Management.Automation;
using IncusBackup.Backup;
using IncusBackup.Config;
using IncusBackup.PowerShell.Infrastructure;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Commands;

/// <summary>
/// Backs up everything needed to rebuild a host: the config, then every instance and custom volume of every
/// project (or of -Project), and the images the instances came from (-Images). One run: every record carries its
/// RunId, so Restore-IncusServer can find the whole run again.
/// </summary>
[Cmdlet(VerbsData.Backup, "IncusServer", SupportsShouldProcess = true)]
[OutputType(typeof(BackupRecord))]
public sealed class BackupIncusServerCommand : ConnectedCmdlet
{
    /// <summary>Images to back up along with the instances: None, Referenced (the default here) or All.</summary>
    [Parameter]
    [ValidateSet("None", "Referenced", "All")]
    public string Images { get; set; } = "Referenced";

    /// <summary>
    /// How a running source is held still while it is exported: Auto (default) takes Snapshot on copy-on-write
    /// pools and Freeze elsewhere; Snapshot exports a copy-on-write copy and never pauses the source; Freeze
    /// pauses the running writers while the server reads; None reads it live.
    /// </summary>
    [Parameter]
    public ConsistencyMode Consistency { get; set; } = ConsistencyMode.Auto;

    /// <summary>The spec's --no-snapshot: the same as -Consistency None.</summary>
    [Parameter]
    public SwitchParameter NoSnapshot { get; set; }

    /// <summary>-NoSnapshot wins, as the shortcut for None.</summary>
    private ConsistencyMode EffectiveConsistency => NoSnapshot ? ConsistencyMode.None : Consistency;

    /// <summary>
    /// The longest, in seconds, a running instance stays frozen for the backup (Freeze consistency); past it the
    /// instance is thawed and the backup fails with FreezeTimeout. 0: no limit. Default 600.
    /// </summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int FreezeTimeout { get; set; } = (int)BackupOptions.DefaultFreezeTimeout.TotalSeconds;


    /// <summary>Storage-driver-optimized exports: faster, but they restore only onto the same storage driver.</summary>
    [Parameter]
    public SwitchParameter Optimized { get; set; }

    /// <summary>Compression the server applies. Default: zstd, or gzip when the server has no zstd.</summary>
    [Parameter]
    [ValidateSet("none", "gzip", "bzip2", "lz4", "lzma", "xz", "zstd")]
    public string? Compression { get; set; }

    /// <summary>How many backups run at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 2;

    /// <summary>Create the repository first when it does not exist yet (a restic repository is never created without it).</summary>
    [Parameter]
    public SwitchParameter Initialize { get; set; }

    protected override void EndProcessing()
    {
        var clock = Stopwatch.StartNew();
        var target = ResolveTarget();
        using var server = ConnectIncus();
        var selector = new ResourceSelector(server);
        var runId = BackupVersion.At(DateTime.UtcNow).ToString();
        var scope = Project is null ? "the server (every project)" : $"project {Project}";

        var backupConfig = ShouldProcess($"config of {scope} -> {target}", "Back up config");
        var instances = AwaitOrStop(ct => selector.SelectInstancesAsync([], Project, ct)).Targets;
        var volumes = AwaitOrStop(ct => selector.SelectVolumesAsync([], null, Project, ct)).Targets;
        var approvedInstances = instances.Where(i => ShouldProcess($"{i} -> {target}", "Back up instance")).ToList();
        var approvedVolumes = volumes.Where(v => ShouldProcess($"{v} -> {target}", "Back up volume")).ToList();
        var images = Images == "None" ? [] : ImagesOfInstances.Plan(this, server, instances, Images == "All", target, runId);
        if (!backupConfig && approvedInstances.Count == 0 && approvedVolumes.Count == 0 && images.Count == 0) return;

        var repository = OpenRepositoryForWrite(target, Initialize);
        using var hold = HoldShared(repository);
        var options = new BackupOptions
        {
            Consistency = EffectiveConsistency,
            FreezeTimeout = BackupOptions.FreezeLimit(FreezeTimeout),
            Optimized = Optimized,
            Compression = Compression,
            RunId = runId,
        };
        var engine = new BackupEngine(server, repository, ToolVersion);
        var sources = approvedInstances.Cast<IBackupSource>().Concat(approvedVolumes).ToList();
        var estimate = Await(ct => BackupEngine.EstimateSizeAsync(server, sources, ct)) + images.Sum(i => i.EstimatedBytes);
        AwaitOrStop(_ => { repository.EnsureFreeSpace(estimate, $"{sources.Count + images.Count} backup(s)"); return Task.FromResult(true); });

        var written = new List<BackupRecord>();
        var failed = 0;
        void Written(BackupRecord record)
        {
            written.Add(record);
            WriteObject(record);
        }
        void Failed(object item, Exception e)
        {
            failed++;
            WriteError(e, item.ToString());
        }
        // The config first: it is what a rebuild starts from, and it takes a moment.
        var items = new List<BackupItem>();
        if (backupConfig)
        {
            items.Add(new BackupItem($"config of {scope}", 0,
                (repo, reporter, ct) => new ConfigBackupEngine(server, repo, ToolVersion) { RunId = runId }.BackupAsync(Project, reporter, ct)));
        }
        items.AddRange(sources.Select(s => new BackupItem(s.ToString()!, 0, (_, reporter, ct) => engine.BackupAsync(s, options, reporter, ct))));
        items.AddRange(images);
        new ParallelRunner(this, $"Backing up {scope} to {target} (run {runId})").Run(
            items, ThrottleLimit, (item, reporter, ct) => item.Run(repository, reporter, ct),
            (_, record) => Written(record), (item, e) => Failed(item, e), PipelineStopToken);

        var counts = written.GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Count());
        WriteInformation(new HostInformationMessage
        {
            Message = $"Run {runId}: backed up {counts.GetValueOrDefault(BackupKind.Instance)} instance(s), {counts.GetValueOrDefault(BackupKind.Volume)} volume(s), " +
                $"{counts.GetValueOrDefault(BackupKind.Image)} image(s){(counts.ContainsKey(BackupKind.Config) ? " and the config" : "")} " +
                $"({Bytes.Format(written.Sum(r => r.Size))}) to {target} in {clock.Elapsed.TotalSeconds:F0} s" + (failed == 0 ? "." : $"; {failed} failed (see the errors)."),
        }, ["PSHOST"]);
    }
}
