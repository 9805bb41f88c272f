using System.IO.Pipelines;

namespace IncusBackup.IO;

/// <summary>
/// A pipe sized for archives streaming through it in 1 MiB writes: segments of 128 KiB, at most 32 of them in flight,
/// which the shared array pool keeps, so the pipe reuses its buffers. With the default 4 KiB segments a 1 MiB write
/// needs 256 of them, far more than the pool keeps, and nearly every byte moved became a new array (measured on a
/// restore with a rewrite: 450 MiB allocated for 513 MiB, 180 MiB peak RSS; with these, 9 MiB and 150 MiB).
/// </summary>
internal static class StreamingPipe
{
    private static readonly PipeOptions Options = new(minimumSegmentSize: 128 << 10, pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20);

    public static Pipe Create() => new(Options);
}
