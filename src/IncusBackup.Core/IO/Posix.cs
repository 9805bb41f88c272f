using System.Runtime.InteropServices;

namespace IncusBackup.IO;

/// <summary>The few POSIX calls .NET lacks: fsync of a directory (so a rename survives a crash), early writeback.</summary>
internal static class Posix
{
    private const int ORdonly = 0;
    private const int ODirectory = 0x10000; // Linux value

    [DllImport("libc", SetLastError = true, EntryPoint = "open")]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true, EntryPoint = "fsync")]
    private static extern int Fsync(int fd);

    [DllImport("libc", SetLastError = true, EntryPoint = "sync_file_range")]
    private static extern int SyncFileRange(int fd, long offset, long count, uint flags);

    private const uint SyncFileRangeWrite = 2;

    [DllImport("libc", SetLastError = true, EntryPoint = "close")]
    private static extern int Close(int fd);

    /// <summary>Flushes a directory's entries to disk. Best effort on platforms without it.</summary>
    public static void FsyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = Open(path, ORdonly | ODirectory);
        if (fd < 0) return;
        try
        {
            Fsync(fd);
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>
    /// Asks the kernel to start writing a file range to disk without waiting for it, so that the fsync before a
    /// backup is published finds little left to write. Best effort: a file system without it just writes later.
    /// </summary>
    public static void StartWriteback(SafeHandle file, long offset, long count)
    {
        if (!OperatingSystem.IsLinux() || file.IsInvalid || file.IsClosed) return;
        var added = false;
        try
        {
            file.DangerousAddRef(ref added);
            _ = SyncFileRange((int)file.DangerousGetHandle(), offset, count, SyncFileRangeWrite);
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    [DllImport("libc", SetLastError = true, EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    /// <summary>Sends SIGINT, as Ctrl+C in a terminal would: a program that handles it cleans up before it exits.</summary>
    public static bool Interrupt(int pid) => pid > 0 && Kill(pid, 2) == 0;

    public static bool ProcessExists(int pid) => pid > 0 && Directory.Exists($"/proc/{pid}");
}
