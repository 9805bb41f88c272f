using IncusBackup.Errors;

namespace IncusBackup.Repository;

/// <summary>Takes a repository lock, waiting up to a timeout while another run holds it the other way.</summary>
public static class RepositoryLockWait
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    /// <exception cref="IncusBackupException">RepositoryLocked when the lock is still taken after <paramref name="timeout"/>.</exception>
    public static async Task<IDisposable> LockAsync(this IBackupRepository repository, RepositoryLockMode mode, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return repository.Lock(mode);
            }
            catch (IncusBackupException e) when (e.ErrorId == ErrorIds.RepositoryLocked && DateTime.UtcNow < deadline)
            {
                await Task.Delay(Poll, ct).ConfigureAwait(false);
            }
        }
    }
}
