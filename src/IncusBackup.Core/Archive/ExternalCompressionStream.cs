using System.ComponentModel;
using System.Diagnostics;

namespace IncusBackup.Archive;

/// <summary>
/// Compresses by piping through an external tool (<c>xz -c</c>, <c>bzip2 -c</c>, …), as the Incus server does for
/// these algorithms: writes go to its stdin, a background task copies its stdout into the destination. Disposing
/// ends the input and waits for the tool; a non-zero exit code surfaces then as an <see cref="IOException"/>.
/// </summary>
internal sealed class ExternalCompressionStream : Stream
{
    private readonly string _tool;
    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly Task _pump;
    private readonly Task<string> _stderr;
    private bool _finished;

    private ExternalCompressionStream(string tool, Process process, Stream destination)
    {
        _tool = tool;
        _process = process;
        _stdin = process.StandardInput.BaseStream;
        _pump = Task.Run(() => process.StandardOutput.BaseStream.CopyToAsync(destination, 1 << 20));
        _stderr = Task.Run(() => process.StandardError.ReadToEndAsync());
    }

    /// <exception cref="IOException">The tool is not installed or cannot be started.</exception>
    public static ExternalCompressionStream Start(string tool, Stream destination)
    {
        var startInfo = new ProcessStartInfo(tool)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add("-c");
        try
        {
            return new ExternalCompressionStream(tool, Process.Start(startInfo) ?? throw new IOException($"Could not start '{tool}'."), destination);
        }
        catch (Win32Exception ex)
        {
            throw new IOException($"Compressing with {tool} needs the '{tool}' program on this host, which could not be started ({ex.Message}). Install it, or choose -Compression zstd.", ex);
        }
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => _stdin.Write(buffer, offset, count);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        _stdin.WriteAsync(buffer, cancellationToken);

    public override void Flush()
    {
        // The tool decides when to write; everything comes out when the input ends.
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (!_finished)
        {
            _finished = true;
            try
            {
                await _stdin.DisposeAsync().ConfigureAwait(false); // the end of input: the tool writes the rest and exits
                await _pump.ConfigureAwait(false);
                await _process.WaitForExitAsync().ConfigureAwait(false);
                if (_process.ExitCode != 0)
                    throw new IOException($"'{_tool} -c' failed with exit code {_process.ExitCode}: {(await _stderr.ConfigureAwait(false)).Trim()}");
            }
            finally
            {
                _process.Dispose();
            }
        }
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_finished) DisposeAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }
}
