using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.InfrastructureSelfTests;

public sealed class RepositoryAndTempDirectorySelfTests
{
    [Fact]
    public void Repository_root_holds_the_solution()
    {
        Assert.True(File.Exists(Path.Combine(RepositoryRoot.Path, RepositoryRoot.SolutionFileName)));
    }

    [Fact]
    public void Temp_directory_is_private_and_under_tests_fixtures_tmp()
    {
        using var temp = new TempDirectory();

        Assert.True(Directory.Exists(temp.Path));
        Assert.Equal(RepositoryRoot.Combine("tests", "fixtures", ".tmp"), Path.GetDirectoryName(temp.Path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(
                UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                File.GetUnixFileMode(temp.Path));
        }
    }

    [Fact]
    public void Temp_directories_are_distinct_and_deleted_with_their_contents()
    {
        string path;
        using (var first = new TempDirectory())
        using (var second = new TempDirectory())
        {
            Assert.NotEqual(first.Path, second.Path);
            path = first.Path;
            string sub = Directory.CreateDirectory(first.Combine("a", "b")).FullName;
            File.WriteAllText(Path.Combine(sub, "file.txt"), "x");
            if (!OperatingSystem.IsWindows())
            {
                // Read-only content must not make cleanup fail.
                File.SetUnixFileMode(Path.Combine(sub, "file.txt"), UnixFileMode.UserRead);
                File.SetUnixFileMode(sub, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            }
        }

        Assert.False(Directory.Exists(path));
    }
}
