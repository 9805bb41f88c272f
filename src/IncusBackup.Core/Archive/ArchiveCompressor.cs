using System.IO.Compression;
using ZstdSharp;
using ZstdSharp.Unsafe;

namespace IncusBackup.Archive;

/// <summary>
/// Compresses a tar on the client, for archives the client rewrites before storing them (a Snapshot-mode export):
/// zstd, gzip and none in-process; bzip2, lz4, lzma and xz through the same program the server would run.
/// </summary>
internal static class ArchiveCompressor
{
    /// <summary>zstd's and gzip's own default levels, as the server's "zstd" and "gzip" use them.</summary>
    private const int ZstdLevel = 3;

    /// <summary>Algorithms written by a program of the same name, as Incus runs them ("xz -c").</summary>
    private static readonly HashSet<string> ExternalTools = ["bzip2", "lz4", "lzma", "xz"];

    public static bool CanCompress(string compression) => compression is "zstd" or "gzip" or "none" || ExternalTools.Contains(compression);

    /// <summary>A stream that compresses into <paramref name="destination"/> (left open); dispose it to finish the compressed stream.</summary>
    public static Stream Open(Stream destination, string compression) => compression switch
    {
        "zstd" => ZstdOnEveryCore(destination),
        "gzip" => new GZipStream(destination, CompressionLevel.Optimal, leaveOpen: true),
        "none" => new NonClosingStream(destination),
        _ when ExternalTools.Contains(compression) => ExternalCompressionStream.Start(compression, destination),
        _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, "Not an algorithm Incus backups use."),
    };

    /// <summary>As "zstd -T0" does: one worker per core, so the client is not the slow end of the export.</summary>
    private static CompressionStream ZstdOnEveryCore(Stream destination)
    {
        var stream = new CompressionStream(destination, ZstdLevel, leaveOpen: true);
        stream.SetParameter(ZSTD_cParameter.ZSTD_c_nbWorkers, Environment.ProcessorCount);
        return stream;
    }

    /// <summary>Passes writes through and leaves the destination open when disposed.</summary>
    private sealed class NonClosingStream(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
    }
}
