using System.Security.Cryptography;
using System.Text;

using IncusBackup.Repository.Directory;

namespace IncusBackup.Repository;

/// <summary>
/// The records of a repository's backups as last read, kept in the user's cache folder
/// ($XDG_CACHE_HOME/incus-backup/listing, one file per repository), so that a listing of 100,000 backups does not
/// open and parse 100,000 manifests each time (for restic, one restic dump each). Each record is cached with a
/// stamp of where it was read: a directory's version folder's modification time (which changes when the folder is
/// published, protected or unprotected), a restic seal's snapshot id (which restic tag changes). A record is used
/// only while its stamp is unchanged; backups that appeared or changed are read from their manifests, those that
/// vanished drop out. Manifests are never rewritten by the module, so a record read once stays true; a manifest
/// edited in place by hand keeps its old record here until its stamp changes (verify and restore always read the
/// manifest itself). The repository is never written: the cache is a private file of the user who listed, and
/// failing to read or write it only costs time.
/// </summary>
internal sealed class ListingCache
{
    // The module version is part of the header: an upgrade that changes records rebuilds the cache.
    private static readonly string Format = "incus-backup listing cache 2 " + typeof(ListingCache).Assembly.GetName().Version;

    private readonly string? _path;
    private readonly string _root;
    private readonly Dictionary<string, Entry> _entries;

    private ListingCache(string? path, string root, Dictionary<string, Entry> entries)
    {
        _path = path;
        _root = root;
        _entries = entries;
    }

    /// <summary>A cache file unused this long belongs to a repository that is gone or no longer listed here.</summary>
    private static readonly TimeSpan Unused = TimeSpan.FromDays(30);

    /// <summary>A cached record and the stamp of where it was read (a folder's modification time, a snapshot id's bits).</summary>
    internal readonly record struct Entry(long FolderTicks, BackupRecord Record);

    /// <summary>
    /// The cache of the repository at <paramref name="root"/> (a directory's path: records' Locations are folders
    /// under it; or a restic target: records' Locations are the seals' own, "" as root); empty when there is none or
    /// it cannot be read.
    /// </summary>
    public static ListingCache Load(string root, string target) => Load(root, root, target);

    /// <summary>As <see cref="Load(string, string)"/>, the file named after <paramref name="cacheKey"/>, Locations under <paramref name="root"/>.</summary>
    public static ListingCache Load(string cacheKey, string root, string target)
    {
        var path = PathFor(cacheKey);
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        if (path is null) return new ListingCache(null, root, entries);
        try
        {
            using var reader = new BinaryReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), Encoding.UTF8);
            if (reader.ReadString() != Format || reader.ReadString() != KeyHash(cacheKey)) return new ListingCache(path, root, entries);
            var strings = new StringPool(reader);
            var count = reader.ReadInt32();
            for (var i = 0; i < count; i++)
            {
                var folder = LocationUnder(root, reader.ReadString());
                var ticks = reader.ReadInt64();
                entries[folder] = new Entry(ticks, ReadRecord(reader, strings, folder, target));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException or FormatException)
        {
            entries.Clear(); // Missing, half-written by a killed run, or unreadable: read the manifests instead.
        }
        return new ListingCache(path, root, entries);
    }

    private static string LocationUnder(string root, string relative) => root.Length == 0 ? relative : Path.Combine(root, relative);

    /// <summary>The cached record of <paramref name="folder"/> if its modification time is still <paramref name="folderTicks"/>.</summary>
    public BackupRecord? Find(string folder, long folderTicks) =>
        _entries.TryGetValue(folder, out var entry) && entry.FolderTicks == folderTicks ? entry.Record : null;

    /// <summary>
    /// Replaces the cached entries under <paramref name="listedRoots"/> (the kinds just listed) with
    /// <paramref name="listed"/>, and writes the file (named after <paramref name="cacheKey"/>) if that changed
    /// anything. Never throws.
    /// </summary>
    public void Update(string cacheKey, IReadOnlyCollection<string> listedRoots, IReadOnlyDictionary<string, Entry> listed)
    {
        if (_path is null) return;
        var kept = _entries.Where(e => !listedRoots.Any(r => e.Key.StartsWith(r + "/", StringComparison.Ordinal))).ToList();
        if (kept.Count + listed.Count == _entries.Count && listed.All(e => _entries.TryGetValue(e.Key, out var old) && old.FolderTicks == e.Value.FolderTicks)) return;
        try
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(_path)!, PrivateFiles.DirectoryMode);
            var temp = $"{_path}.{Environment.ProcessId}.tmp";
            using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = PrivateFiles.FileMode, BufferSize = 1 << 16 }))
            using (var writer = new BinaryWriter(stream, Encoding.UTF8))
            {
                writer.Write(Format);
                writer.Write(KeyHash(cacheKey));
                var strings = new StringPool(writer);
                writer.Write(kept.Count + listed.Count);
                foreach (var (folder, entry) in kept.Concat(listed))
                {
                    writer.Write(_root.Length == 0 ? folder : Path.GetRelativePath(_root, folder));
                    writer.Write(entry.FolderTicks);
                    WriteRecord(writer, strings, entry.Record);
                }
            }
            File.Move(temp, _path, overwrite: true);
            RemoveUnused(Path.GetDirectoryName(_path)!);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be written costs the next listing time, nothing else.
        }
    }

    /// <summary>The cache file of the repository <paramref name="root"/> names (null: the user has no cache folder).</summary>
    internal static string? PathFor(string root)
    {
        var cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(cache) || !Path.IsPathRooted(cache)) cache = string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".cache");
        if (cache is null) return null;
        var folder = Path.Combine(cache, "incus-backup", "listing");
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..32];
        return Path.Combine(folder, key + ".bin");
    }

    // The file names its repository by a hash only: a rest: or s3: target can hold credentials.
    private static string KeyHash(string cacheKey) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cacheKey)));

    private static void RemoveUnused(string folder)
    {
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles())
        {
            if (DateTime.UtcNow - file.LastWriteTimeUtc > Unused) file.Delete();
        }
    }

    // Every property of BackupRecord but Location and Repository (where it is read from). A property added to
    // BackupRecord must be added here too: ListingCacheTests compares every property after a round trip.
    private static void WriteRecord(BinaryWriter w, StringPool s, BackupRecord r)
    {
        w.Write((byte)r.Kind);
        s.Write(r.Project);
        s.Write(r.Pool);
        w.Write(r.Name);
        w.Write(r.Version);
        w.Write(r.Timestamp.UtcTicks);
        w.Write(r.Size);
        s.Write(r.Compression);
        w.Write(r.WithoutSnapshots);
        w.Write(r.Optimized);
        WriteArray(w, r.Snapshots);
        s.Write(r.RunId);
        WriteArray(w, r.Aliases);
        s.Write(r.Type);
        w.Write(r.Protected);
        s.Write(r.Consistency);
        s.Write(r.ServerVersion);
        s.Write(r.ServerName);
        s.Write(r.Member);
        w.Write(r.Sha256);
        s.Write(r.ArchiveName);
    }

    private static BackupRecord ReadRecord(BinaryReader r, StringPool s, string folder, string target) => new()
    {
        Kind = (BackupKind)r.ReadByte(),
        Project = s.Read()!,
        Pool = s.Read(),
        Name = r.ReadString(),
        Version = r.ReadString(),
        Timestamp = new DateTimeOffset(r.ReadInt64(), TimeSpan.Zero),
        Size = r.ReadInt64(),
        Compression = s.Read()!,
        WithoutSnapshots = r.ReadBoolean(),
        Optimized = r.ReadBoolean(),
        Snapshots = ReadArray(r),
        RunId = s.Read(),
        Aliases = ReadArray(r),
        Type = s.Read(),
        Protected = r.ReadBoolean(),
        Consistency = s.Read(),
        ServerVersion = s.Read(),
        ServerName = s.Read(),
        Member = s.Read(),
        Sha256 = r.ReadString(),
        ArchiveName = s.Read()!,
        Location = folder,
        Repository = target,
    };

    private static void WriteArray(BinaryWriter w, string[] values)
    {
        w.Write(values.Length);
        foreach (var value in values) w.Write(value);
    }

    private static string[] ReadArray(BinaryReader r)
    {
        var count = r.ReadInt32();
        if (count == 0) return [];
        var values = new string[count];
        for (var i = 0; i < count; i++) values[i] = r.ReadString();
        return values;
    }

    /// <summary>
    /// Strings that repeat across records (project, pool, compression, server...) written once and then by number,
    /// and read back as one shared instance: the file and the records in memory stay small. Null is number 0.
    /// </summary>
    private sealed class StringPool
    {
        private readonly BinaryWriter? _writer;
        private readonly BinaryReader? _reader;
        private readonly Dictionary<string, int> _numbers = new(StringComparer.Ordinal);
        private readonly List<string?> _strings = [null];

        public StringPool(BinaryWriter writer) => _writer = writer;

        public StringPool(BinaryReader reader) => _reader = reader;

        public void Write(string? value)
        {
            if (value is null)
            {
                _writer!.Write7BitEncodedInt(0);
                return;
            }
            if (_numbers.TryGetValue(value, out var number))
            {
                _writer!.Write7BitEncodedInt(number);
                return;
            }
            // A new string: its number is the next one, written as -1 and followed by the text.
            _numbers[value] = _strings.Count;
            _strings.Add(value);
            _writer!.Write7BitEncodedInt(-1);
            _writer.Write(value);
        }

        public string? Read()
        {
            var number = _reader!.Read7BitEncodedInt();
            if (number != -1)
            {
                return number >= 0 && number < _strings.Count ? _strings[number] : throw new InvalidDataException("bad string number");
            }
            var value = _reader.ReadString();
            _strings.Add(value);
            return value;
        }
    }
}
