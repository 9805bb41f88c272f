using System.Runtime.CompilerServices;

namespace IncusBackup.Tests.Infrastructure;

/// <summary>
/// Locates the repository root (the folder holding <c>IncusBackup.PowerShell.sln</c>).
/// </summary>
public static class RepositoryRoot
{
    public const string SolutionFileName = "IncusBackup.PowerShell.sln";

    private static readonly Lazy<string> s_path = new(() => Locate(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Absolute path of the repository root.</summary>
    public static string Path => s_path.Value;

    /// <summary>Joins <paramref name="parts"/> onto the repository root.</summary>
    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>
    /// Walks up from the test binaries first (the normal case: tests/IncusBackup.Tests/bin/...). The compile-time
    /// location of this source file is the fallback, so a test project built outside the tree (a scratch project
    /// linking these files) still finds the repository.
    /// </summary>
    private static string Locate([CallerFilePath] string thisSourceFile = "")
    {
        string? found = FindUpwards(AppContext.BaseDirectory)
            ?? (string.IsNullOrEmpty(thisSourceFile) ? null : FindUpwards(System.IO.Path.GetDirectoryName(thisSourceFile)));
        return found ?? throw new InvalidOperationException(
            $"Cannot find the repository root: no '{SolutionFileName}' above '{AppContext.BaseDirectory}' " +
            $"or above '{thisSourceFile}'.");
    }

    /// <summary>Returns the first directory at or above <paramref name="start"/> that holds the solution file.</summary>
    public static string? FindUpwards(string? start)
    {
        for (var dir = string.IsNullOrEmpty(start) ? null : new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, SolutionFileName)))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
