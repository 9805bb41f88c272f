using IncusBackup.IO;

namespace IncusBackup.Restore;

/// <summary>
/// A read-only pass-through stream that reports how many bytes have been read so far (every 4 MiB and at the end),
/// and remembers a failure to read, so an upload that breaks because the repository could not be read says so.
/// </summary>
internal sealed class ProgressReadStream(Stream inner, Action<long> report) : ForwardReadStream
{
    private const long ReportEvery = 4L << 20;
    private long _read;
    private long _lastReport;

    /// <summary>The I/O error reading the source threw, if it did.</summary>
    public IOException? ReadFailure { get; private set; }

    public override long Length => inner.Length;

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return Count(inner.Read(buffer));
        }
        catch (IOException e)
        {
            ReadFailure = e;
            throw;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));
        }
        catch (IOException e)
        {
            ReadFailure = e;
            throw;
        }
    }

    private int Count(int read)
    {
        _read += read;
        if (_read - _lastReport >= ReportEvery || (read == 0 && _read != _lastReport))
        {
            _lastReport = _read;
            report(_read);
        }
        return read;
    }
}
