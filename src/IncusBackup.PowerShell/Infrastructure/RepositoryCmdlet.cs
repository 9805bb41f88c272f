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

    protected RepositoryTarget ResolveTarget()
    {
        var target = Terminating(() => TargetResolver.Resolve(Target, SessionState.Path.CurrentFileSystemLocation.ProviderPath, Environment.GetEnvironmentVariable));
        WriteVerbose($"Repository: {target} (from {target.Source}).");
        return target;
    }

    /// <summary>Stops with InvalidVersion when -Version is not YYYYMMDDThhmmssZ[-N].</summary>
    protected void EnsureValidVersion(string? version)
    {
        if (version is not null) Terminating(() => BackupVersion.Parse(version));
    }

    protected IBackupRepository OpenRepositoryForRead(RepositoryTarget target) => Terminating(() => RepositoryFactory.OpenForRead(target));

    protected IBackupRepository OpenRepositoryForWrite(RepositoryTarget target) => Terminating(() => RepositoryFactory.OpenForWrite(target, ToolVersion));

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
            repository = RepositoryFactory.OpenForRead(record);
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
