using System.Collections;
using System.Management.Automation;
using IncusBackup.Config;
using IncusBackup.Errors;
using IncusBackup.PowerShell.Infrastructure;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Commands;

/// <summary>
/// Compares a config backup with the server and, with -Apply, makes the server's config what the backup holds:
/// one ConfigChange per project, pool, network, profile and the server keys. Without -Apply nothing changes.
/// </summary>
[Cmdlet(VerbsData.Restore, "IncusConfig", DefaultParameterSetName = LatestSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(ConfigChange))]
public sealed class RestoreIncusConfigCommand : RepositoryCmdlet
{
    private const string LatestSet = "Latest";
    private const string InputObjectSet = "InputObject";

    private BackupRecord? _record;

    /// <summary>A config backup, usually from Get-IncusBackup -Kind Config.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public BackupRecord? InputObject { get; set; }

    /// <summary>The config backup to restore (YYYYMMDDThhmmssZ); the newest by default.</summary>
    [Parameter(ParameterSetName = LatestSet)]
    [ArgumentCompleter(typeof(Completers.BackupVersionCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Version { get; set; }

    /// <summary>Change the server. Without it, the changes are only listed.</summary>
    [Parameter]
    public SwitchParameter Apply { get; set; }

    /// <summary>Only these kinds of config.</summary>
    [Parameter]
    [ValidateSet("Project", "StoragePool", "Network", "Profile", "Server")]
    public string[] Kind { get; set; } = [];

    /// <summary>Only the resources with these names (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = [];

    [Parameter]
    public Hashtable? ProjectMap { get; set; }

    [Parameter]
    public Hashtable? PoolMap { get; set; }

    [Parameter]
    public Hashtable? NetworkMap { get; set; }

    [Parameter]
    public Hashtable? ProfileMap { get; set; }

    /// <summary>No questions: networks and storage pools are changed without the extra confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void BeginProcessing() => EnsureValidVersion(Version);

    protected override void ProcessRecord()
    {
        if (InputObject is null) return;
        if (InputObject.Kind != BackupKind.Config)
        {
            WriteError(new IncusBackupException(ErrorIds.BackupKindMismatch, ErrorKind.InvalidArgument,
                $"{InputObject} is not a config backup; pipe it to Restore-Incus{InputObject.Kind}.", InputObject.ToString()));
            return;
        }
        _record = InputObject; // The last one piped wins: config is restored from one backup.
    }

    protected override void EndProcessing()
    {
        IBackupRepository repository;
        BackupRecord record;
        if (_record is not null)
        {
            record = _record;
            repository = AwaitOrStop(_ => Task.FromResult(RepositoryFactory.OpenForRead(record)));
        }
        else if (ParameterSetName == InputObjectSet)
        {
            return;
        }
        else
        {
            repository = OpenRepositoryForRead(ResolveTarget());
            var found = new BackupQuery { Kind = BackupKind.Config, Version = Version }.Apply(ListBackups(repository, BackupKind.Config)).LastOrDefault();
            if (found is null)
            {
                ThrowTerminating(new IncusBackupException(ErrorIds.BackupNotFound, ErrorKind.NotFound,
                    $"No config backup{(Version is null ? "" : $" with version {Version}")} in {repository.Target}.", Version,
                    "Make one with Backup-IncusConfig, or list them with Get-IncusBackup -Kind Config."));
                return;
            }
            record = found;
        }

        // Nothing is compared, let alone changed, before the files match their checksums.
        var seal = AwaitOrStop(ct => BackupVerifier.ReadSealAsync(repository, record, ct));
        AwaitOrStop(async ct => { await BackupVerifier.VerifyFilesAsync(repository, record, seal, null, ct).ConfigureAwait(false); return true; });
        var files = seal.DataFiles.ToDictionary(f => f.Key, f => AwaitOrStop(ct => ReadAllAsync(repository, record, f.Key, ct)), StringComparer.Ordinal);
        var backup = ConfigMapping.Apply(
            ConfigSnapshot.FromFiles(name => files.TryGetValue(name, out var bytes) ? bytes : "[]"u8.ToArray(), record.ToString()),
            Map(ProjectMap, nameof(ProjectMap)), Map(PoolMap, nameof(PoolMap)), Map(NetworkMap, nameof(NetworkMap)), Map(ProfileMap, nameof(ProfileMap)));
        var wholeServer = seal.Manifest.Project == ConfigBackupEngine.AllProjects;

        using var server = ConnectIncus();
        var scope = wholeServer ? null : backup.Resources.FirstOrDefault(r => r.Kind == ConfigKind.Project)?.Name;
        var current = AwaitOrStop(ct => ConfigReader.ReadAsync(server, scope, ct));
        var comparisons = ConfigDiff.Compare(backup, current, wholeServer).Where(Wanted).ToList();
        if (!Apply)
        {
            foreach (var comparison in comparisons) WriteObject(comparison.Change);
            return;
        }

        var applier = new ConfigApplier(server);
        var failed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var comparison in comparisons)
        {
            var change = comparison.Change;
            if (change.Action is ConfigAction.Create or ConfigAction.Update)
            {
                var target = $"{change.Kind} {(string.IsNullOrEmpty(change.Project) ? "" : change.Project + "/")}{change.Name}";
                var what = change.Changes.Length == 0 ? "" : ": " + string.Join("; ", change.Changes.Select(c => c.ToString()));
                if (!ShouldProcess(target + what, $"{change.Action} {change.Kind}")) continue;
                if (change.Kind is nameof(ConfigKind.Network) or nameof(ConfigKind.StoragePool) && !ConfirmHighImpact(target, change)) continue;
                change.Error = Await(ct => applier.ApplyAsync(comparison, failed, ct));
                change.Applied = change.Error is null;
                if (change.Error is not null)
                {
                    WriteError(new IncusBackupException(ErrorIds.ConfigApplyFailed, ErrorKind.OperationFailed,
                        $"{change.Action} of {target} failed: {change.Error}", target,
                        "Fix the cause (the message is the server's) and run Restore-IncusConfig -Apply again; what was applied stays applied."));
                }
            }
            else if (IsWhatIf())
            {
                continue;
            }
            WriteObject(change);
        }
    }

    /// <summary>"Creating or modifying managed networks and storage pools can disrupt the host": asked unless -Force or -Confirm:$false.</summary>
    private bool ConfirmHighImpact(string target, ConfigChange change)
    {
        if (Force || (MyInvocation.BoundParameters.TryGetValue("Confirm", out var c) && !((SwitchParameter)c).IsPresent)) return true;
        try
        {
            return ShouldContinue($"{change.Action} {target}? Changing managed networks and storage pools can disrupt the host and every instance on it.",
                $"{change.Action} {change.Kind}");
        }
        catch (Exception e) when (e is PSInvalidOperationException or System.Management.Automation.Host.HostException or NotImplementedException)
        {
            WriteError(new IncusBackupException(ErrorIds.ConfirmationRequired, ErrorKind.InvalidArgument,
                $"{change.Action} of {target} needs a confirmation this session cannot ask for; it was not changed.", target,
                "Add -Force (or -Confirm:$false) to change networks and storage pools unattended.", e));
            return false;
        }
    }

    private bool Wanted(ConfigComparison comparison)
    {
        var change = comparison.Change;
        if (Kind.Length > 0 && !Kind.Contains(change.Kind, StringComparer.OrdinalIgnoreCase)) return false;
        if (Name.Length > 0 && !Name.Any(n => new WildcardPattern(n, WildcardOptions.IgnoreCase).IsMatch(change.Name))) return false;
        return Project is null || change.Project == Project || (change.Kind == nameof(ConfigKind.Project) && change.Name == Project);
    }

    private Dictionary<string, string> Map(Hashtable? table, string parameter)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table ?? [])
        {
            var from = LanguagePrimitives.ConvertTo<string>(entry.Key);
            var to = LanguagePrimitives.ConvertTo<string>(entry.Value);
            if (string.IsNullOrWhiteSpace(from) || string.IsNullOrWhiteSpace(to))
                ThrowTerminating(new IncusBackupException(ErrorIds.InvalidName, ErrorKind.InvalidArgument, $"-{parameter} needs old = 'new' pairs of names; '{from}' = '{to}' is not one.", parameter));
            map[from] = to;
        }
        return map;
    }

    private static async Task<byte[]> ReadAllAsync(IBackupRepository repository, BackupRecord record, string name, CancellationToken ct)
    {
        await using var stream = await repository.OpenReadAsync(record, name, ct).ConfigureAwait(false);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy, ct).ConfigureAwait(false);
        return copy.ToArray();
    }

    private bool IsWhatIf() =>
        MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) ? ((SwitchParameter)w).IsPresent
            : GetVariableValue("WhatIfPreference") is SwitchParameter { IsPresent: true } or true;
}
