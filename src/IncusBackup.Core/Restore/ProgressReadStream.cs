using IncusBackup.IO;

namespace IncusBackup.Restore;

/// <summary>
/// A read-only pass-through stream that reports how many bytes have been read so far (every 4 MiB and at the end).
/// </summary>
internal sealed class ProgressReadStream(Stream inner, Action<long> report) : ForwardReadStream
{
    private const long ReportEvery = 4L << 20;
    private long _read;
    private long _lastReport;

    public override long Length => inner.Length;

    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

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
