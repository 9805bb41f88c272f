using IncusBackup.IO;

namespace IncusBackup.Tests.Core.Archive;

/// <summary>A non-seekable read stream (like an HTTP body) that counts what was read and whether it was disposed.</summary>
internal sealed class ForwardOnlyStream(Stream inner) : ForwardReadStream
{
    public long BytesRead { get; private set; }
    public bool IsDisposed { get; private set; }

    public override bool CanRead => !IsDisposed;

    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken));

    private int Count(int read)
    {
        BytesRead += read;
        return read;
    }

    protected override void Dispose(bool disposing)
    {
        IsDisposed = true;
        base.Dispose(disposing);
    }
}
