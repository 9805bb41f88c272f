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
    [InlineData(1, "Fatal: unable to open config file: Stat: client.Do: Head \"http://127.0.0.1:1/incus/config\": dial tcp 127.0.0.1:1: connect: connection refused\nIs there a repository at the following location?\nrest:http://127.0.0.1:1/incus", ErrorIds.ResticRepositoryUnreachable)]
    [InlineData(1, "Fatal: unable to open config file: dial tcp: lookup backup.invalid: no such host", ErrorIds.ResticRepositoryUnreachable)]
    [InlineData(1, "ssh: connect to host vault port 22: Connection refused\nsubprocess ssh: Fatal: unable to open repository", ErrorIds.ResticRepositoryUnreachable)]
    [InlineData(1, "ssh: Could not resolve hostname vault: Name or service not known", ErrorIds.ResticRepositoryUnreachable)]
    [InlineData(1, "Fatal: unable to save snapshot: dial tcp 10.0.0.9:8000: connect: connection timed out", ErrorIds.ResticRepositoryUnreachable)]
    public void Stderr_MapsToErrorIds(int exitCode, string stderr, string errorId)
    {
        var e = ResticErrors.From("/r", "list snapshots", exitCode, stderr);
        Assert.Equal(errorId, e.ErrorId);
    }

    [Fact]
    public void AnUnreachableRepository_IsReportedByTheLineThatSaysWhy_NotTheLocationResticRepeats()
    {
        var e = ResticErrors.From("rest:http://h/x", "open the repository", 1,
            "Fatal: unable to open config file: Stat: client.Do: Head \"http://h/x/config\": dial tcp 127.0.0.1:9: connect: connection refused\nIs there a repository at the following location?\nrest:http://h/x\n");

        Assert.EndsWith("dial tcp 127.0.0.1:9: connect: connection refused", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AServerGoneForMinutes_IsReportedByItsLastLine_NotItsRetries()
    {
        var stderr = string.Concat(Enumerable.Repeat("Save(<data/1a2b>) returned error, retrying after 1.5s: client.Do: Post \"http://h/x\": dial tcp 127.0.0.1:9: connect: connection refused\n", 20))
            + "Fatal: unable to save snapshot: client.Do: Post \"http://h/x\": dial tcp 127.0.0.1:9: connect: connection refused\n";

        var e = ResticErrors.From("rest:http://h/x", "write a snapshot", 1, stderr);

        Assert.Equal(ErrorIds.ResticRepositoryUnreachable, e.ErrorId);
        Assert.DoesNotContain("retrying", e.Message, StringComparison.Ordinal);
        Assert.EndsWith("Fatal: unable to save snapshot: client.Do: Post \"http://h/x\": dial tcp 127.0.0.1:9: connect: connection refused", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingRepository_SaysHowToCreateIt() =>
        Assert.Contains("Initialize-IncusBackupRepository -Target 'restic:/r'", ResticErrors.From("/r", "x", 10, "").RecommendedAction, StringComparison.Ordinal);
}
