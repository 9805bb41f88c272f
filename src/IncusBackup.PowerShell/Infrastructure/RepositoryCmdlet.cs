using System.Management.Automation;
using IncusBackup.Configuration;
using IncusBackup.Errors;
using IncusBackup.Repository;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>Base of cmdlets that read or write a backup repository: the -Target parameter, its defaults, and opening it.</summary>
public abstract class RepositoryCmdlet : IncusCmdlet
{
    /// <summary>
    /// The repository: 'dir:/path' or a plain path. Defaults to $env:INCUS_BACKUP_TARGET, then "target" in
    /// $env:INCUS_BACKUP_CONFIG or ~/.config/incus-backup/config.json.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Target { get; set; }

    /// <summary>
    /// The password of an encrypted repository (restic), as a credential; the user name is not used. Without it,
    /// restic's own $env:RESTIC_PASSWORD, RESTIC_PASSWORD_FILE or RESTIC_PASSWORD_COMMAND.
    /// </summary>
    [Parameter]
    [Credential]
    public PSCredential? RepositoryCredential { get; set; }

    /// <summary>The password of -RepositoryCredential, for the backend (never on a command line).</summary>
    protected string? RepositoryPassword => RepositoryCredential?.GetNetworkCredential().Password;

    protected RepositoryTarget ResolveTarget()
    {
        var target = Terminating(() => TargetResolver.Resolve(Target, SessionState.Path.CurrentFileSystemLocation.ProviderPath, Environment.GetEnvironmentVariable));
        WriteVerbose($"Repository: {target} (from {target.Source}).");
        return target with { Password = RepositoryPassword };
    }

    /// <summary>Stops with InvalidVersion when -Version is not YYYYMMDDThhmmssZ[-N].</summary>
    protected void EnsureValidVersion(string? version)
    {
        if (version is not null) Terminating(() => BackupVersion.Parse(version));
    }

    protected IBackupRepository OpenRepositoryForRead(RepositoryTarget target) => Terminating(() => RepositoryFactory.OpenForRead(target));

    protected IBackupRepository OpenRepositoryForWrite(RepositoryTarget target) => ReportLeftovers(Terminating(() => RepositoryFactory.OpenForWrite(target, ToolVersion)));

    /// <summary>Opens the repository to write into; with <paramref name="initialize"/> (-Initialize) creates it first when it does not exist.</summary>
    protected IBackupRepository OpenRepositoryForWrite(RepositoryTarget target, bool initialize)
    {
        if (!initialize) return OpenRepositoryForWrite(target);
        var (repository, created) = InitializeRepository(target);
        if (created) WriteWarning(RepositoryCreatedMessage(repository));
        return ReportLeftovers(repository);
    }

    /// <summary>Creates the repository when it does not exist yet and opens it for writing; says whether it was created.</summary>
    protected (IBackupRepository Repository, bool Created) InitializeRepository(RepositoryTarget target) =>
        Terminating(() => RepositoryFactory.Initialize(target, ToolVersion));

    /// <summary>Said once, when a repository is created: an encrypted one is lost with its password.</summary>
    protected static string RepositoryCreatedMessage(IBackupRepository repository) =>
        repository.Target.StartsWith("restic:", StringComparison.Ordinal)
            ? $"Created the restic repository {repository.Target}. Keep its password safe: without it no backup in it can be read."
            : $"Created the repository {repository.Target}.";

    /// <summary>How long a backup or restore waits for a maintenance run (a prune) that holds the repository alone.</summary>
    private static readonly TimeSpan SharedLockWait = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Holds the repository for a backup run (shared with other runs; a prune waits for them). A nightly backup that
    /// starts while a prune runs waits for it (prunes take seconds) instead of failing; RepositoryLocked stops the
    /// cmdlet only after <see cref="SharedLockWait"/>.
    /// </summary>
    protected IDisposable HoldShared(IBackupRepository repository)
    {
        try
        {
            return repository.Lock(RepositoryLockMode.Shared);
        }
        catch (IncusBackupException e) when (e.ErrorId == ErrorIds.RepositoryLocked)
        {
            WriteVerbose($"{repository.Target} is held by a maintenance run; waiting up to {SharedLockWait.TotalMinutes:0} minutes for it to finish.");
            return AwaitOrStop(ct => repository.LockAsync(RepositoryLockMode.Shared, SharedLockWait, ct));
        }
    }

    private readonly Dictionary<string, IBackupRepository?> _recordRepositories = new(StringComparer.Ordinal);

    /// <summary>The repository a piped record lives in (opened once per repository); null after writing why it cannot be read.</summary>
    protected IBackupRepository? RepositoryOf(BackupRecord record)
    {
        if (_recordRepositories.TryGetValue(record.Repository, out var known)) return known;
        IBackupRepository? repository = null;
        try
        {
            repository = RepositoryFactory.OpenForRead(record, RepositoryPassword);
        }
        catch (IncusBackupException e)
        {
            WriteError(e, record.ToString());
        }
        _recordRepositories[record.Repository] = repository;
        return repository;
    }

    /// <summary>Lists a repository, warning about the backups it had to leave out.</summary>
    protected IReadOnlyList<BackupRecord> ListBackups(IBackupRepository repository, BackupKind? kind)
    {
        var listing = AwaitOrStop(ct => repository.ListAsync(kind, ct));
        foreach (var problem in listing.Problems)
            WriteWarning($"A backup in {repository.Target} is left out of the list: {problem}");
        return listing.Records;
    }

    private T Terminating<T>(Func<T> call)
    {
        try
        {
            return call();
        }
        catch (IncusBackupException e)
        {
            ThrowTerminating(e);
            throw; // not reached
        }
    }
}
