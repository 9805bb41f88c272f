using System.Collections;
using System.Management.Automation;
using IncusBackup.Config;
using IncusBackup.Errors;
using IncusBackup.PowerShell.Completers;
using IncusBackup.PowerShell.Infrastructure;
using IncusBackup.Repository;
using IncusBackup.Restore;

namespace IncusBackup.PowerShell.Commands;

/// <summary>
/// Rebuilds a server (or one project) from a Backup-IncusServer run, the latest or -Version: the config first
/// (only compared unless -Apply), then the images, the custom volumes and the instances. The plan is written
/// before anything changes; every restore is confirmed like Restore-IncusInstance's, and what fails does not stop
/// the rest.
/// </summary>
[Cmdlet(VerbsData.Restore, "IncusServer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ConfigChange), typeof(RestoreResult))]
public sealed class RestoreIncusServerCommand : ConnectedCmdlet
{
    /// <summary>The run to restore: its RunId (YYYYMMDDThhmmssZ). The latest run by default.</summary>
    [Parameter]
    [Alias("RunId")]
    [ArgumentCompleter(typeof(RunIdCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Version { get; set; }

    /// <summary>Make the config changes. Without it the config is only compared (ConfigChange objects) and left as it is.</summary>
    [Parameter]
    public SwitchParameter Apply { get; set; }

    /// <summary>Replace existing instances and volumes without asking whether to (safely: import aside, swap, roll back on failure).</summary>
    [Parameter]
    public SwitchParameter Replace { get; set; }

    /// <summary>Leave existing instances, volumes and image aliases alone and report them as Skipped.</summary>
    [Parameter]
    public SwitchParameter SkipExisting { get; set; }

    /// <summary>No confirmation prompts: networks and pools are changed, running instances stopped for a replace.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Start the restored instances.</summary>
    [Parameter]
    public SwitchParameter Start { get; set; }

    [Parameter]
    public Hashtable? ProjectMap { get; set; }

    [Parameter]
    public Hashtable? PoolMap { get; set; }

    [Parameter]
    public Hashtable? NetworkMap { get; set; }

    [Parameter]
    public Hashtable? ProfileMap { get; set; }

    /// <summary>How many restores run at once.</summary>
    [Parameter]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 2;

    protected override void BeginProcessing()
    {
        if (Replace && SkipExisting)
        {
            ThrowTerminating(new IncusBackupException(ErrorIds.ConflictingParameters, ErrorKind.InvalidArgument,
                "-Replace and -SkipExisting contradict each other; use one.", null));
        }
        EnsureValidVersion(Version);
    }

    protected override void EndProcessing()
    {
        var repository = OpenRepositoryForRead(ResolveTarget());
        var all = ListBackups(repository, null);
        var run = AwaitOrStop(ct => ServerRun.FindAsync(repository, all, Version, Project, ct));
        using var server = ConnectIncus();
        RestoreBatch.RecoverInterrupted(this, server);
        var maps = new ConfigMaps
        {
            Projects = ToMap(ProjectMap, nameof(ProjectMap)),
            Pools = ToMap(PoolMap, nameof(PoolMap)),
            Networks = ToMap(NetworkMap, nameof(NetworkMap)),
            Profiles = ToMap(ProfileMap, nameof(ProfileMap)),
        };
        // Nothing is compared, let alone changed, before the config files match their checksums.
        var config = run.Config is null ? []
            : AwaitOrStop(ct => ConfigRestoreComparer.CompareAsync(server, repository, run.Config, maps, ct)).Where(c => InScope(c.Change, maps, run.Config.Project == Project)).ToList();
        WriteInformation(new HostInformationMessage { Message = Plan(run, repository, config) }, ["PSHOST"]);

        var configFailed = 0;
        if (Apply) configFailed = new ConfigChangeApplier(this, server, Force).Apply(config).Count;
        else foreach (var comparison in config) WriteObject(Shape(comparison.Change));

        var configCreates = config.Any(c => c.Change.Action == ConfigAction.Create);
        bool PlanFailed(RestoreRequest request, IncusBackupException e)
        {
            if (!configCreates || e.ErrorId != ErrorIds.DependencyMissing) return false;
            if (!Apply)
            {
                WriteError(new IncusBackupException(e.ErrorId, e.Kind, e.Message, request.Backup.ToString(),
                    "The config of this run creates what is missing: add -Apply (see the Create lines above), or map it with -ProjectMap, -PoolMap, -NetworkMap or -ProfileMap."),
                    request.Backup.ToString());
                return true;
            }
            if (!IsWhatIf()) return false;
            // Under -WhatIf the config was not applied, so what it would create is missing when the data is planned.
            ShouldProcess($"{request.Backup} (what it needs is created by the config changes above)", $"Restore {request.Backup.Kind.ToString().ToLowerInvariant()}");
            return true;
        }

        var results = new List<RestoreResult>();
        var conflict = SkipExisting ? ConflictMode.SkipExisting : Replace ? ConflictMode.Replace : ConflictMode.Ask;
        RestoreRequest Request(BackupRecord backup) => new()
        {
            Backup = backup,
            ProjectMap = maps.Projects,
            PoolMap = maps.Pools,
            NetworkMap = maps.Networks,
            ProfileMap = maps.Profiles,
            Conflict = conflict,
            Start = Start && backup.Kind == BackupKind.Instance,
        };
        var images = new ImageRestorePlanner(server);
        var data = new RestorePlanner(server);
        results.AddRange(new RestoreBatch(this, "image", Force, Replace).Run(
            [.. run.Images.Select(b => (repository, Request(b)))], (repo, request, ct) => images.PlanAsync(repo, request, ct), ThrottleLimit, PlanFailed));
        results.AddRange(new RestoreBatch(this, "volume", Force, Replace).Run(
            [.. run.Volumes.Select(b => (repository, Request(b)))], (repo, request, ct) => data.PlanAsync(repo, request, BackupKind.Volume, ct), ThrottleLimit, PlanFailed));
        results.AddRange(new RestoreBatch(this, "instance", Force, Replace).Run(
            [.. run.Instances.Select(b => (repository, Request(b)))], (repo, request, ct) => data.PlanAsync(repo, request, BackupKind.Instance, ct), ThrottleLimit, PlanFailed));
        if (IsWhatIf()) return;

        var restored = results.Count(r => r.Action is not RestoreAction.Skipped);
        var notDone = run.Images.Count + run.Volumes.Count + run.Instances.Count - results.Count;
        WriteInformation(new HostInformationMessage
        {
            Message = $"Run {run.RunId}: {(Apply ? $"config applied{(configFailed == 0 ? "" : $" except {configFailed} change(s)")}" : "config compared only")}; " +
                $"{restored} restored, {results.Count - restored} skipped" + (notDone == 0 ? "." : $", {notDone} not restored (see the errors above)."),
        }, ["PSHOST"]);
    }

    /// <summary>Config changes and restore results share one table (IncusBackup.ServerRestoreItem in the format file); scripts still get the objects.</summary>
    protected internal override object Shape(object output)
    {
        var tagged = PSObject.AsPSObject(output);
        tagged.TypeNames.Insert(0, "IncusBackup.ServerRestoreItem");
        return tagged;
    }

    /// <summary>The plan, written before anything changes.</summary>
    private string Plan(ServerRun run, IBackupRepository repository, IReadOnlyList<ConfigComparison> config)
    {
        var counts = config.GroupBy(c => c.Change.Action).ToDictionary(g => g.Key, g => g.Count());
        var configPart = run.Config is null ? "no config backup"
            : $"config ({counts.GetValueOrDefault(ConfigAction.Create)} to create, {counts.GetValueOrDefault(ConfigAction.Update)} to update, " +
              $"{counts.GetValueOrDefault(ConfigAction.Unchanged)} unchanged, {counts.GetValueOrDefault(ConfigAction.Extra)} extra left alone" +
              (Apply ? ")" : "; compared only, add -Apply to make these changes)");
        return $"Restoring run {run.RunId} from {repository.Target}{(Project is null ? "" : $" (project {Project})")}: {configPart}, " +
            $"then {run.Images.Count} image(s), {run.Volumes.Count} volume(s), {run.Instances.Count} instance(s).";
    }

    /// <summary>
    /// With -Project, the config of that project and what is not in any project (pools); never the server keys. A
    /// backup of that project alone also holds the default project's networks its NICs use (ConfigReader): those too.
    /// </summary>
    private bool InScope(ConfigChange change, ConfigMaps maps, bool projectBackup)
    {
        if (Project is null) return true;
        var project = maps.Projects.GetValueOrDefault(Project, Project);
        return change.Kind switch
        {
            nameof(ConfigKind.Project) => change.Name == project,
            nameof(ConfigKind.Server) => false,
            nameof(ConfigKind.Network) when projectBackup && change.Project == "default" => true,
            _ => string.IsNullOrEmpty(change.Project) || change.Project == project,
        };
    }
}
