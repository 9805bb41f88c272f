using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using IncusBackup.Errors;

namespace IncusBackup.Repository;

/// <summary>
/// A backup's manifest.json and checksums.txt, the format every backend stores beside a backup's files:
/// checksums.txt is in sha256sum format (so <c>sha256sum -c checksums.txt</c> verifies a directory backup with no
/// tool of ours) and lists every file, the manifest included. <see cref="Open"/> checks that the two agree.
/// </summary>
public sealed class BackupSeal
{
    public const string ManifestFile = "manifest.json";
    public const string ChecksumsFile = "checksums.txt";

    private BackupSeal(BackupManifest manifest, byte[] manifestBytes, byte[] checksumsBytes, IReadOnlyDictionary<string, string> checksums)
    {
        Manifest = manifest;
        ManifestBytes = manifestBytes;
        ChecksumsBytes = checksumsBytes;
        Checksums = checksums;
    }

    public BackupManifest Manifest { get; }
    public byte[] ManifestBytes { get; }
    public byte[] ChecksumsBytes { get; }

    /// <summary>File name to lowercase hex sha256, for every file checksums.txt lists.</summary>
    public IReadOnlyDictionary<string, string> Checksums { get; }

    /// <summary>The files whose content the checksums vouch for, other than the manifest (the archive...).</summary>
    public IEnumerable<KeyValuePair<string, string>> DataFiles => Checksums.Where(c => c.Key != ManifestFile);

    /// <summary>Seals a finished backup: serialises the manifest and lists its files and itself with their sha256.</summary>
    public static BackupSeal Create(BackupManifest manifest)
    {
        var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, RepositoryJsonContext.Default.BackupManifest);
        var checksums = manifest.Files.ToDictionary(f => f.Name, f => f.Sha256, StringComparer.Ordinal);
        checksums[ManifestFile] = Sha256Hex(manifestBytes);
        var text = new StringBuilder();
        foreach (var (name, sha) in checksums) text.Append(sha).Append("  ").Append(name).Append('\n');
        return new BackupSeal(manifest, manifestBytes, Encoding.UTF8.GetBytes(text.ToString()), checksums);
    }

    /// <summary>
    /// Reads a stored seal: checksums.txt must be well formed, the manifest must match its checksum and parse,
    /// and every file the manifest names must carry the same checksum in both.
    /// </summary>
    /// <param name="where">The backup, for messages.</param>
    public static BackupSeal Open(byte[] manifestBytes, byte[] checksumsBytes, string where)
    {
        var checksums = ParseChecksums(Encoding.UTF8.GetString(checksumsBytes), where);
        if (!checksums.TryGetValue(ManifestFile, out var expected))
        {
            throw new IncusBackupException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData,
                $"The {ChecksumsFile} of {where} does not list {ManifestFile}, so nothing vouches for the manifest.", where,
                "Restore another version (Get-IncusBackup lists them); nothing was sent to the server.");
        }
        if (Sha256Hex(manifestBytes) is var actual && actual != expected)
        {
            throw new IncusBackupException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData,
                $"The {ManifestFile} of {where} does not match its checksum (expected {expected}, found {actual}): it is corrupt or was changed.", where,
                "Restore another version (Get-IncusBackup lists them); nothing was sent to the server.");
        }
        var manifest = ParseManifest(manifestBytes, where);
        foreach (var file in manifest.Files)
        {
            if (!checksums.TryGetValue(file.Name, out var sha) || !string.Equals(sha, file.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new IncusBackupException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData,
                    $"The manifest of {where} and its {ChecksumsFile} disagree about '{file.Name}'.", where);
            }
        }
        return new BackupSeal(manifest, manifestBytes, checksumsBytes, checksums);
    }

    /// <summary>Parses manifest.json alone (listing needs no checksums).</summary>
    public static BackupManifest ParseManifest(byte[] manifestBytes, string where) =>
        ParseManifestAs(manifestBytes, RepositoryJsonContext.Default.BackupManifest, where);

    /// <summary>Parses manifest.json as <typeparamref name="T"/> (the whole manifest, or only what a listing needs).</summary>
    internal static T ParseManifestAs<T>(ReadOnlySpan<byte> manifestBytes, JsonTypeInfo<T> type, string where) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(manifestBytes, type) ?? throw new JsonException("empty manifest");
        }
        catch (JsonException e)
        {
            throw new IncusBackupException(ErrorIds.ManifestInvalid, ErrorKind.InvalidData,
                $"The manifest of {where} is not valid: {e.Message}", where, inner: e);
        }
    }

    public static string Sha256Hex(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Parses checksums.txt (sha256sum format) into file name to lowercase hex sha256.</summary>
    internal static Dictionary<string, string> ParseChecksums(string text, string where)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').Where(l => l.Length > 0))
        {
            // sha256sum format: 64 hex digits, two spaces (or space and '*'), file name.
            if (line.Length < 67 || line[64] != ' ' || line[65] is not (' ' or '*') || line[66..].Contains('/') || !IsHex(line.AsSpan(0, 64)))
                throw new IncusBackupException(ErrorIds.ChecksumMismatch, ErrorKind.InvalidData, $"The {ChecksumsFile} of {where} has a malformed line: {line}", where);
            result[line[66..]] = line[..64].ToLowerInvariant();
        }
        return result;
    }

    private static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (!char.IsAsciiHexDigit(c)) return false;
        return true;
    }
}
