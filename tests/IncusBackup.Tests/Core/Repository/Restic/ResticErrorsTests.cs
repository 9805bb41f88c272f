using IncusBackup.Errors;
using IncusBackup.Repository.Restic;
using Xunit;

namespace IncusBackup.Tests.Core.Repository.Restic;

public class ResticErrorsTests
{
    [Theory]
    [InlineData(1, "Fatal: unable to open config file: stat /r/config: no such file or directory\nIs there a repository at the following location?\n/r", ErrorIds.ResticRepositoryNotInitialized)]
    [InlineData(10, "Fatal: repository does not exist", ErrorIds.ResticRepositoryNotInitialized)]
    [InlineData(1, "Fatal: wrong password or no key found", ErrorIds.ResticPasswordWrong)]
    [InlineData(11, "Fatal: unable to create lock in backend: repository is already locked by PID 1", ErrorIds.RepositoryLocked)]
    [InlineData(1, "Fatal: something else", ErrorIds.ResticFailed)]
    public void Stderr_MapsToErrorIds(int exitCode, string stderr, string errorId)
    {
        var e = ResticErrors.From("/r", "list snapshots", exitCode, stderr);
        Assert.Equal(errorId, e.ErrorId);
    }

    [Fact]
    public void MissingRepository_SaysHowToCreateIt() =>
        Assert.Contains("Initialize-IncusBackupRepository -Target 'restic:/r'", ResticErrors.From("/r", "x", 10, "").RecommendedAction, StringComparison.Ordinal);
}
