using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using IncusBackup.IO;

namespace IncusBackup.Archive;

/// <summary>
/// Decompresses by piping through an external tool (<c>xz -dc</c>, <c>bzip2 -dc</c>, …): a background task feeds
/// stdin, reads come from stdout. Only the OS pipe buffers hold data, so memory stays bounded. A non-zero exit code
/// surfaces as an <see cref="IOException"/> carrying the tool's stderr when stdout ends.
/// </summary>
internal sealed class ExternalDecompressionStream : ForwardReadStream
{
    private const int MaxStderrChars = 8 * 1024;

    private readonly string _tool;
    private readonly Process _process;
    private readonly Stream _stdout;
    private readonly Stream _compressed;
    private readonly bool _leaveOpen;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _feeder;
    private readonly Task<string> _stderr;
    private bool _completed;

    private ExternalDecompressionStream(string tool, Process process, Stream compressed, bool leaveOpen)
    {
        _tool = tool;
        _process = process;
        _stdout = process.StandardOutput.BaseStream;
        _compressed = compressed;
        _leaveOpen = leaveOpen;
        _feeder = Task.Run(() => FeedStdinAsync(_stop.Token));
        _stderr = Task.Run(() => ReadStderrAsync(process.StandardError));
    }

    /// <exception cref="IOException">The tool is not installed or cannot be started.</exception>
    public static ExternalDecompressionStream Start(string tool, Stream compressed, bool leaveOpen)
    {
        var startInfo = new ProcessStartInfo(tool)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add("-dc");
        try
        {
            var process = Process.Start(startInfo)
                ?? throw new IOException($"Could not start '{tool}' to decompress the backup.");
            return new ExternalDecompressionStream(tool, process, compressed, leaveOpen);
        }
        catch (Win32Exception ex)
        {
            throw new IOException(
                $"Decompressing this backup needs the '{tool}' program, which could not be started ({ex.Message}). Install it and retry.", ex);
        }
    }

    public override int Read(Span<byte> buffer)
    {
        int read = _stdout.Read(buffer);
        if (read == 0 && buffer.Length > 0) CompleteAsync(CancellationToken.None).GetAwaiter().GetResult();
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int read = await _stdout.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (read == 0 && buffer.Length > 0) await CompleteAsync(cancellationToken).ConfigureAwait(false);
        return read;
    }

    /// <summary>At end of output: only now do we know whether the tool succeeded, so report its failure here.</summary>
    private async Task CompleteAsync(CancellationToken ct)
    {
        if (_completed) return;
        await _process.WaitForExitAsync(ct).ConfigureAwait(false);
        string stderr = (await _stderr.ConfigureAwait(false)).Trim();
        if (_process.ExitCode != 0)
        {
            string detail = stderr.Length > 0 ? stderr : "no error output";
            throw new IOException($"'{_tool} -dc' failed with exit code {_process.ExitCode}: {detail}");
        }
        try
        {
            await _feeder.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new IOException($"Reading the compressed backup for '{_tool}' failed: {ex.Message}", ex);
        }
        _completed = true;
    }

    private async Task FeedStdinAsync(CancellationToken ct)
    {
        var stdin = _process.StandardInput.BaseStream;
        try
        {
            await _compressed.CopyToAsync(stdin, 128 * 1024, ct).ConfigureAwait(false);
        }
        finally
        {
            // Closing stdin is what tells the tool the input has ended.
            try { stdin.Dispose(); } catch (IOException) { /* the tool already exited; its exit code tells why */ }
        }
    }

    private static async Task<string> ReadStderrAsync(StreamReader stderr)
    {
        var text = new StringBuilder();
        var buffer = new char[1024];
        int read;
        while ((read = await stderr.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            // Keep only the start; keep draining so the tool never blocks on a full stderr pipe.
            int room = MaxStderrChars - text.Length;
            if (room > 0) text.Append(buffer, 0, Math.Min(room, read));
        }
        return text.ToString();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // A reader that stops early (ReadIndex) leaves the tool running: stop it rather than draining the input.
            try
            {
                if (!_process.HasExited) _process.Kill();
            }
            catch (InvalidOperationException) { /* already gone */ }
            _stop.Cancel();
            try { _feeder.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { /* expected after a kill */ }
            try { _stderr.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { /* expected after a kill */ }
            _process.Dispose();
            _stop.Dispose();
            if (!_leaveOpen) _compressed.Dispose();
        }
        base.Dispose(disposing);
    }
}
