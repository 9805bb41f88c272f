using System.Diagnostics;
using IncusBackup.IO;

namespace IncusBackup.Repository.Restic;

/// <summary>
/// One file of a snapshot as <c>restic dump</c> writes it to stdout. At the end of the bytes it checks restic's
/// exit code, so a failed dump is an error, never a silently short file; closing it early stops restic.
/// </summary>
internal sealed class ResticDumpStream(Process process, string location, string what) : ForwardReadStream
{
    private readonly Stream _stdout = process.StandardOutput.BaseStream;
    private readonly Task<string> _stderr = process.StandardError.ReadToEndAsync();
    private bool _ended;

    public override int Read(Span<byte> buffer)
    {
        var read = _stdout.Read(buffer);
        if (read == 0 && buffer.Length > 0) End();
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _stdout.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (read == 0 && buffer.Length > 0) End();
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ResticProcess.Stop(process);
            process.Dispose();
        }
        base.Dispose(disposing);
    }

    private void End()
    {
        if (_ended) return;
        _ended = true;
        process.WaitForExit();
        if (process.ExitCode != 0) throw ResticErrors.From(location, what, process.ExitCode, _stderr.GetAwaiter().GetResult());
    }
}
