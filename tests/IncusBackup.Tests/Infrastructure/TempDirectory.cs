using System.Runtime.Versioning;
using System.Security.Cryptography;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>
/// A private scratch directory under <c>&lt;repo&gt;/tests/fixtures/.tmp/&lt;random&gt;</c> (git-ignored), mode 0700
/// like the repository directories the module creates; deleted with its contents on dispose.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public TempDirectory()
    {
        string parent = RepositoryRoot.Combine("tests", "fixtures", ".tmp");
        Directory.CreateDirectory(parent);
        Path = System.IO.Path.Combine(parent, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)));
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(Path);
        }
        else
        {
            Directory.CreateDirectory(Path, OwnerOnly);
            File.SetUnixFileMode(Path, OwnerOnly); // independent of the umask
        }
    }

    public string Path { get; }

    /// <summary>Joins <paramref name="parts"/> onto <see cref="Path"/>.</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public override string ToString() => Path;

    public void Dispose()
    {
        if (!Directory.Exists(Path))
        {
            return;
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (UnauthorizedAccessException) when (!OperatingSystem.IsWindows())
        {
            // Tests may leave read-only files or directories (e.g. checking 0400/0500 modes): open them up, retry.
            MakeOwnerWritable(Path);
            Directory.Delete(Path, recursive: true);
        }
    }

    [UnsupportedOSPlatform("windows")]
    private static void MakeOwnerWritable(string directory)
    {
        File.SetUnixFileMode(directory, OwnerOnly);
        foreach (string entry in Directory.EnumerateFileSystemEntries(directory, "*", SearchOption.AllDirectories))
        {
            bool isRealDirectory = Directory.Exists(entry) && new DirectoryInfo(entry).LinkTarget is null;
            if (isRealDirectory)
            {
                File.SetUnixFileMode(entry, OwnerOnly);
            }
            else if (File.Exists(entry) && new FileInfo(entry).LinkTarget is null)
            {
                File.SetUnixFileMode(entry, File.GetUnixFileMode(entry) | UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
    }
}
