using System.Diagnostics;
using IncusBackup.Errors;

namespace IncusBackup.Repository.Restic;

/// <summary>
/// The stream the engine writes an archive into: restic's stdin for <c>restic backup --stdin</c>. Closing it ends
/// the input, waits for restic and keeps the snapshot id (or the failure, which publishing reports: disposal does
/// not throw, so it never hides the error that made the engine dispose it).
/// </summary>
internal sealed class ResticUploadStream : Stream
{
    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;
    private readonly string _location;
    private bool _finished;

    public ResticUploadStream(ProcessStartInfo info, string location)
    {
        _location = location;
        _process = ResticProcess.Start(info);
        _stdin = _process.StandardInput.BaseStream;
        _stdout = _process.StandardOutput.ReadToEndAsync();
        _stderr = _process.StandardError.ReadToEndAsync();
    }

    /// <summary>The snapshot restic wrote, once the stream is closed and restic succeeded.</summary>
    public string? SnapshotId { get; private set; }

    /// <summary>Why restic did not write the snapshot, once the stream is closed.</summary>
    public Exception? Failure { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            _stdin.Write(buffer);
        }
        catch (IOException) when (_process.WaitForExit(ExitWait) && _process.ExitCode != 0)
        {
            throw ResticFailure();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            await _stdin.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException)
        {
            if (await ExitedWithErrorAsync(cancellationToken).ConfigureAwait(false)) throw ResticFailure();
            throw;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // A write fails when restic has closed its stdin: it stopped on an error of its own (wrong password, repository or
    // server gone), and that error, not the broken pipe, is what the user must see. restic may still be retrying
    // to remove its lock from a server that is gone (minutes): it is waited for, up to a bound, or until Ctrl+C.
    private static readonly TimeSpan ExitWait = TimeSpan.FromMinutes(5);

    private async Task<bool> ExitedWithErrorAsync(CancellationToken ct)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
        bound.CancelAfter(ExitWait);
        try
        {
            await _process.WaitForExitAsync(bound.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
        return _process.ExitCode != 0;
    }

    private IncusBackupException ResticFailure() =>
        ResticErrors.From(_location, "write a snapshot", _process.ExitCode, _stderr.GetAwaiter().GetResult());

    public override void Flush() => _stdin.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => _stdin.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>Stops restic without a snapshot (the backup failed or was stopped before the archive was complete).</summary>
    public void Abort()
    {
        if (_finished) return;
        _finished = true;
        Failure = new OperationCanceledException("The archive upload was abandoned.");
        ResticProcess.Stop(_process);
        _process.Dispose();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_finished)
        {
            _finished = true;
            try
            {
                _stdin.Dispose();
                _process.WaitForExit();
                var output = _stdout.GetAwaiter().GetResult();
                var errors = _stderr.GetAwaiter().GetResult();
                if (_process.ExitCode != 0) Failure = ResticErrors.From(_location, "write a snapshot", _process.ExitCode, errors);
                else if ((SnapshotId = ResticSnapshot.SnapshotIdFromBackupOutput(output)) is null)
                    Failure = new InvalidOperationException("restic backup printed no snapshot id.");
            }
            catch (IOException e)
            {
                // restic died early and closed its stdin (wrong password, repository gone).
                Failure = e;
                _process.WaitForExit();
                if (_process.ExitCode != 0) Failure = ResticErrors.From(_location, "write a snapshot", _process.ExitCode, _stderr.GetAwaiter().GetResult());
            }
            _process.Dispose();
        }
        base.Dispose(disposing);
    }
}
