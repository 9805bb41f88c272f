using System.Text;
using IncusBackup.Archive;
using IncusBackup.IO;
using Xunit;

namespace IncusBackup.Tests.Core.Archive;

[CollectionDefinition(nameof(AllocationSensitive), DisableParallelization = true)]
public sealed class AllocationSensitive;

/// <summary>Runs alone: it measures process-wide allocations, which parallel tests would disturb.</summary>
[Collection(nameof(AllocationSensitive))]
public sealed class StreamingMemoryTests
{
    private const long HugeEntrySize = 512L * 1024 * 1024;

    [Fact]
    public async Task A_huge_data_entry_is_streamed_not_buffered()
    {
        var index = Encoding.UTF8.GetBytes(IncusYamlFixtures.ContainerIndexYaml());
        var prefix = new MemoryStream(
        [
            .. RawTarBlocks.Header("backup/index.yaml"u8.ToArray(), '0', index.Length), .. RawTarBlocks.Padded(index),
            .. RawTarBlocks.Header("backup/container/rootfs/disk.img"u8.ToArray(), '0', HugeEntrySize),
        ]);
        var suffix = new MemoryStream(new byte[1024]);
        using var source = new ConcatenatedStream(prefix, new ZeroStream(HugeEntrySize), suffix);
        var destination = new CountingSink();
        var mapping = new RestoreMapping { NewName = "b1" };

        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var summary = await ArchiveRewriter.RewriteAsync(source, destination, mapping, CancellationToken.None);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        Assert.Equal(["backup/index.yaml"], summary.RewrittenEntries);
        Assert.Equal(2, summary.EntryCount);
        Assert.Equal(summary.BytesWritten, destination.Length);
        Assert.True(destination.Length > HugeEntrySize);
        Assert.True(allocated < 32L * 1024 * 1024, $"allocated {allocated / 1024 / 1024} MiB while streaming {HugeEntrySize / 1024 / 1024} MiB");
    }

    private sealed class ZeroStream(long length) : ForwardReadStream
    {
        private long _remaining = length;

        public override int Read(Span<byte> buffer)
        {
            int count = (int)Math.Min(buffer.Length, _remaining);
            buffer[..count].Clear();
            _remaining -= count;
            return count;
        }
    }

    private sealed class ConcatenatedStream(params Stream[] parts) : ForwardReadStream
    {
        private int _current;

        public override int Read(Span<byte> buffer)
        {
            while (_current < parts.Length)
            {
                int read = parts[_current].Read(buffer);
                if (read > 0) return read;
                _current++;
            }
            return 0;
        }
    }

    private sealed class CountingSink : Stream
    {
        private long _length;

        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _length += buffer.Length;
            return ValueTask.CompletedTask;
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
