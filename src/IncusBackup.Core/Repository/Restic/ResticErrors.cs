using IncusBackup.Errors;

namespace IncusBackup.Repository.Restic;

/// <summary>Turns a failed restic run (exit code and stderr) into an error with a stable ErrorId and a next step.</summary>
internal static class ResticErrors
{
    public static IncusBackupException From(string location, string what, int exitCode, string stderr)
    {
        var detail = WithoutRetries(stderr);
        // Checked first: restic adds "Is there a repository…?" to a config file it could not fetch from a server.
        if (detail.Split('\n').LastOrDefault(l => NetworkFailures.Any(f => l.Contains(f, StringComparison.OrdinalIgnoreCase))) is { } cause)
        {
            return new IncusBackupException(ErrorIds.ResticRepositoryUnreachable, ErrorKind.ConnectionError,
                $"restic could not reach the repository '{location}' to {what}: {cause.Trim()}", location,
                "Check that the repository's server runs and its address is right, then run the command again; a backup cut off this way is never listed, and the next backup clears what it left.");
        }
        // restic 0.14 exits 1 for all of these; later versions add codes 10 (no repository) and 12 (wrong password).
        if (exitCode == 10 || detail.Contains("Is there a repository at the following location?", StringComparison.Ordinal)
            || detail.Contains("unable to open config file", StringComparison.Ordinal))
        {
            return new IncusBackupException(ErrorIds.ResticRepositoryNotInitialized, ErrorKind.NotFound,
                $"There is no restic repository at '{location}' (or it cannot be reached): {FirstLine(detail)}", location,
                $"Check the location; to create the repository there, run Initialize-IncusBackupRepository -Target 'restic:{location}' once (or add -Initialize to the backup).");
        }
        if (exitCode == 12 || detail.Contains("wrong password", StringComparison.Ordinal))
        {
            return new IncusBackupException(ErrorIds.ResticPasswordWrong, ErrorKind.PermissionDenied,
                $"The password does not open the restic repository '{location}'.", location,
                "Check $env:RESTIC_PASSWORD (or RESTIC_PASSWORD_FILE, RESTIC_PASSWORD_COMMAND).");
        }
        if (exitCode == 11 || detail.Contains("repository is already locked", StringComparison.Ordinal))
        {
            return new IncusBackupException(ErrorIds.RepositoryLocked, ErrorKind.ResourceUnavailable,
                $"The restic repository '{location}' is locked by another restic run: {FirstLine(detail)}", location,
                "Wait for the other run to finish; a lock left by a dead run goes with 'restic unlock'.");
        }
        return new IncusBackupException(ErrorIds.ResticFailed, ErrorKind.OperationFailed,
            $"restic failed to {what} in '{location}' (exit code {exitCode}): {detail}", location);
    }

    public static IncusBackupException NotInstalled(string binary, Exception inner) =>
        new(ErrorIds.ResticNotFound, ErrorKind.NotFound,
            $"restic cannot be started ('{binary}'): {inner.Message}", binary,
            $"Install restic 0.14 or later (apt-get install restic) or point $env:{ResticCommand.BinaryVariable} at it.", inner);

    // What Go's net package, restic's HTTP backends and ssh (sftp:) say when the other end is not there; any case.
    private static readonly string[] NetworkFailures =
    [
        "connection refused", "no such host", "i/o timeout", "connection reset by peer", "network is unreachable", "no route to host",
        "connection timed out", "could not resolve hostname", "ssh: connect to host",
    ];

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    /// <summary>stderr without restic's "…returned error, retrying after…" lines: a server gone for minutes leaves dozens.</summary>
    private static string WithoutRetries(string stderr) =>
        string.Join('\n', stderr.Split('\n').Where(l => !l.Contains(", retrying after ", StringComparison.Ordinal)).Select(l => l.TrimEnd()).Where(l => l.Length > 0));
}
