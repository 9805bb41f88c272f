using IncusBackup.Errors;
using IncusBackup.Repository.Restic;
using IncusBackup.Tests.Infrastructure;
using Xunit;

namespace IncusBackup.Tests.Core.Repository.Restic;

/// <summary>
/// A restic that stops on an error of its own while the archive is still being written into its stdin. The fake is a
/// shell script standing in for restic (a real one cannot be made to fail at this point on demand; the REST server
/// stopped mid-backup in Restic.Tests.ps1 is the real case): the writer must see restic's error, not a broken pipe.
/// </summary>
public sealed class ResticUploadStreamTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task FakeResticThatFails_WhileTheArchiveIsWritten_GivesResticsError_NotABrokenPipe()
    {
        var script = Path.Combine(_temp.Path, "restic");
        await File.WriteAllTextAsync(script, "#!/bin/sh\necho 'Fatal: unable to save snapshot: client.Do: Post \"http://127.0.0.1:9/x\": dial tcp 127.0.0.1:9: connect: connection refused' >&2\nexit 1\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);
        var info = ResticCommand.Build("rest:http://127.0.0.1:9/x", ResticCommand.BackupStdin("archive.partial", []), n => n == ResticCommand.BinaryVariable ? script : null, password: "x");

        await using var upload = new ResticUploadStream(info, "rest:http://127.0.0.1:9/x");
        var chunk = new byte[1 << 20];
        var e = await Assert.ThrowsAsync<IncusBackupException>(async () =>
        {
            // More than a pipe holds: the script never reads, so a write fails once it has exited.
            for (var i = 0; i < 64; i++) await upload.WriteAsync(chunk);
        });

        Assert.Equal(ErrorIds.ResticRepositoryUnreachable, e.ErrorId);
        Assert.Contains("connection refused", e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _temp.Dispose();
}
