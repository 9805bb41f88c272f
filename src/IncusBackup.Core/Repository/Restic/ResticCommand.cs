using System.Diagnostics;
using IncusBackup.Errors;

namespace IncusBackup.Repository.Restic;

/// <summary>
/// How one restic invocation is started: the binary ($INCUS_BACKUP_RESTIC, else restic on PATH), its arguments as a
/// list (no shell quoting), and its environment. The repository and the password reach restic only through the
/// environment, so neither shows on a command line that ps prints (a rest: or s3: location can hold credentials).
/// </summary>
internal static class ResticCommand
{
    public const string BinaryVariable = "INCUS_BACKUP_RESTIC";
    public const string RepositoryVariable = "RESTIC_REPOSITORY";

    /// <summary>The variables restic reads a password from; one of them must be set.</summary>
    public static readonly string[] PasswordVariables = ["RESTIC_PASSWORD", "RESTIC_PASSWORD_FILE", "RESTIC_PASSWORD_COMMAND"];

    public static string Binary(Func<string, string?> environment) =>
        environment(BinaryVariable) is { Length: > 0 } explicitPath ? explicitPath : "restic";

    /// <summary>
    /// Fails before restic runs when there is no password (-RepositoryCredential or a password variable): restic
    /// would otherwise ask on the terminal.
    /// </summary>
    public static void EnsurePassword(string location, Func<string, string?> environment, string? password)
    {
        if (!string.IsNullOrEmpty(password) || PasswordVariables.Any(v => !string.IsNullOrEmpty(environment(v)))) return;
        throw new IncusBackupException(ErrorIds.ResticPasswordMissing, ErrorKind.InvalidArgument,
            $"No password for the restic repository '{location}'.", location,
            "Pass -RepositoryCredential, or set $env:RESTIC_PASSWORD, $env:RESTIC_PASSWORD_FILE or $env:RESTIC_PASSWORD_COMMAND before the command.");
    }

    /// <summary>
    /// A start description for <c>restic &lt;arguments&gt;</c> against <paramref name="location"/>. A
    /// <paramref name="password"/> given by the caller goes to restic as RESTIC_PASSWORD and hides the other password
    /// sources of the environment (restic refuses two at once).
    /// </summary>
    public static ProcessStartInfo Build(string location, IEnumerable<string> arguments, Func<string, string?> environment, string? password, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(Binary(environment))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        // No progress bars or questions: restic talks to a pipe.
        info.ArgumentList.Add("--quiet");
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        info.Environment[RepositoryVariable] = location;
        // A repository file in the caller's environment would conflict with the location of -Target.
        info.Environment.Remove("RESTIC_REPOSITORY_FILE");
        if (!string.IsNullOrEmpty(password))
        {
            foreach (var variable in PasswordVariables) info.Environment.Remove(variable);
            info.Environment[PasswordVariables[0]] = password;
        }
        return info;
    }

    /// <summary>The arguments of a streamed backup of one file: <c>backup --stdin --stdin-filename name --host h --tag t...</c>.</summary>
    public static List<string> BackupStdin(string fileName, IEnumerable<string> tags)
    {
        var arguments = new List<string> { "backup", "--json", "--stdin", "--stdin-filename", fileName, "--host", ResticTags.Host };
        foreach (var tag in tags) arguments.AddRange(["--tag", tag]);
        return arguments;
    }

    /// <summary>The arguments of a backup of the current directory's files (stored at the snapshot's root).</summary>
    public static List<string> BackupDirectory(IEnumerable<string> tags)
    {
        var arguments = new List<string> { "backup", "--json", "--host", ResticTags.Host };
        foreach (var tag in tags) arguments.AddRange(["--tag", tag]);
        arguments.Add(".");
        return arguments;
    }

    public static List<string> Snapshots() => ["snapshots", "--json", "--tag", ResticTags.Marker];

    public static List<string> Dump(string snapshotId, string path) => ["dump", snapshotId, "/" + path];

    public static List<string> Forget(IEnumerable<string> snapshotIds, bool prune) =>
        ["forget", .. prune ? ["--prune"] : Array.Empty<string>(), .. snapshotIds];

    public static List<string> Tag(string snapshotId, string tag, bool add) => ["tag", add ? "--add" : "--remove", tag, snapshotId];

    public static List<string> CatConfig() => ["cat", "config"];

    public static List<string> Check(string? readDataSubset) =>
        readDataSubset is null ? ["check"] : ["check", "--read-data-subset", readDataSubset];

    /// <summary>A new repository in format 2, the one that compresses (restic 0.14 and later).</summary>
    public static List<string> Init() => ["init", "--repository-version", "2"];

    public static List<string> Unlock() => ["unlock"];

    public static List<string> Prune() => ["prune"];

    /// <summary>The ids of the repository's locks, one per line, without taking one.</summary>
    public static List<string> ListLocks() => ["list", "locks", "--no-lock"];
}
