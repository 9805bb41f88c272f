using IncusBackup.IO;

namespace IncusBackup.Repository.Directory;

/// <summary>Folders 0700 and files 0600: a repository holds instance config, which can hold secrets.</summary>
internal static class PrivateFiles
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void CreateDirectory(string path)
    {
        if (System.IO.Directory.Exists(path)) return;
        var parent = Path.GetDirectoryName(path);
        if (parent is not null && !System.IO.Directory.Exists(parent)) CreateDirectory(parent);
        System.IO.Directory.CreateDirectory(path, DirectoryMode);
    }

    /// <summary>Writes a small file and flushes it to disk.</summary>
    public static void Write(string path, byte[] content)
    {
        using var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = System.IO.FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = FileMode,
        });
        stream.Write(content);
        stream.Flush(flushToDisk: true);
    }

    /// <summary>
    /// A new file for a large streamed write; seekable, so a download that must start over can truncate it, and
    /// written back to disk as it grows, so the fsync before publishing is short.
    /// </summary>
    public static Stream Create(string path) => new WritebackFileStream(new FileStream(path, new FileStreamOptions
    {
        Mode = System.IO.FileMode.CreateNew,
        Access = FileAccess.Write,
        Share = FileShare.Read,
        BufferSize = 0,
        Options = FileOptions.Asynchronous,
        UnixCreateMode = FileMode,
    }));

    /// <summary>Flushes a file written earlier (and closed) to disk, so a crash after publishing cannot lose it.</summary>
    public static void Fsync(string path)
    {
        using var stream = new FileStream(path, System.IO.FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
        stream.Flush(flushToDisk: true);
    }
}
