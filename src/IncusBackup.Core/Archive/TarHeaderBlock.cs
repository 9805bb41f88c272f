using System.Text;

namespace IncusBackup.Archive;

/// <summary>
/// Field access on one raw 512-byte tar header (POSIX ustar, GNU and v7 layouts). Only what passing entries through
/// byte-for-byte needs: path, type, size, checksum.
/// </summary>
internal static class TarHeaderBlock
{
    public const int Size = 512;

    private const int NameOffset = 0, NameLength = 100;
    private const int SizeOffset = 124, SizeLength = 12;
    private const int ChecksumOffset = 148, ChecksumLength = 8;
    private const int TypeFlagOffset = 156;
    private const int MagicOffset = 257;
    private const int PrefixOffset = 345, PrefixLength = 155;
    private const int GnuSparseIsExtendedOffset = 482;
    private const int GnuSparseExtensionIsExtendedOffset = 504;

    private static ReadOnlySpan<byte> PosixMagic => "ustar\0"u8;

    public static bool IsZeroBlock(ReadOnlySpan<byte> block) => !block.ContainsAnyExcept((byte)0);

    public static char TypeFlag(ReadOnlySpan<byte> header) => (char)header[TypeFlagOffset];

    /// <summary>The name, joined with the POSIX prefix field when present. Bytes are decoded leniently: names are only matched, never re-encoded.</summary>
    public static string Path(ReadOnlySpan<byte> header)
    {
        string name = CString(header.Slice(NameOffset, NameLength));
        if (!header[MagicOffset..].StartsWith(PosixMagic)) return name;
        string prefix = CString(header.Slice(PrefixOffset, PrefixLength));
        return prefix.Length == 0 ? name : prefix + "/" + name;
    }

    public static long DataSize(ReadOnlySpan<byte> header) => ParseNumber(header.Slice(SizeOffset, SizeLength), "size");

    /// <summary>Type flags that never carry data, whatever the size field says (the rule Go's archive/tar follows).</summary>
    public static bool IsHeaderOnlyType(char typeFlag) => typeFlag is '1' or '2' or '3' or '4' or '5' or '6';

    public static bool IsGnuSparse(char typeFlag) => typeFlag == 'S';

    public static bool HasGnuSparseExtension(ReadOnlySpan<byte> header) => header[GnuSparseIsExtendedOffset] != 0;

    public static bool ExtensionBlockContinues(ReadOnlySpan<byte> block) => block[GnuSparseExtensionIsExtendedOffset] != 0;

    /// <summary>Accepts the unsigned sum (the standard) and the signed sum some old tars wrote.</summary>
    public static bool HasValidChecksum(ReadOnlySpan<byte> header)
    {
        long stored;
        try
        {
            stored = ParseNumber(header.Slice(ChecksumOffset, ChecksumLength), "checksum");
        }
        catch (InvalidDataException)
        {
            return false;
        }
        long unsigned = 0, signed = 0;
        for (int i = 0; i < Size; i++)
        {
            bool inChecksumField = i >= ChecksumOffset && i < ChecksumOffset + ChecksumLength;
            byte value = inChecksumField ? (byte)' ' : header[i];
            unsigned += value;
            signed += (sbyte)value;
        }
        return stored == unsigned || stored == signed;
    }

    /// <summary>A copy of <paramref name="header"/> with a new size and a recomputed checksum; every other byte is kept.</summary>
    public static byte[] WithDataSize(ReadOnlySpan<byte> header, long size)
    {
        var copy = header.ToArray();
        WriteNumber(copy.AsSpan(SizeOffset, SizeLength), size);
        WriteChecksum(copy);
        return copy;
    }

    private static void WriteChecksum(Span<byte> header)
    {
        header.Slice(ChecksumOffset, ChecksumLength).Fill((byte)' ');
        long sum = 0;
        foreach (byte value in header) sum += value;
        // Conventional layout: six octal digits, NUL, space.
        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0'), header.Slice(ChecksumOffset, 6));
        header[ChecksumOffset + 6] = 0;
        header[ChecksumOffset + 7] = (byte)' ';
    }

    private static void WriteNumber(Span<byte> field, long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        string octal = Convert.ToString(value, 8);
        if (octal.Length <= field.Length - 1)
        {
            Encoding.ASCII.GetBytes(octal.PadLeft(field.Length - 1, '0'), field);
            field[^1] = 0;
            return;
        }
        // GNU base-256: high bit set, big-endian value.
        field.Clear();
        for (int i = field.Length - 1; i > 0 && value > 0; i--, value >>= 8) field[i] = (byte)value;
        field[0] = 0x80;
    }

    /// <summary>Octal ASCII (space/NUL padded), or GNU base-256 when the high bit of the first byte is set.</summary>
    public static long ParseNumber(ReadOnlySpan<byte> field, string what)
    {
        if ((field[0] & 0x80) != 0)
        {
            if (field[0] == 0xff) throw new InvalidDataException($"Negative tar {what} field.");
            long binary = field[0] & 0x7f;
            foreach (byte value in field[1..])
            {
                if (binary > (long.MaxValue >> 8)) throw new InvalidDataException($"Tar {what} field overflows.");
                binary = (binary << 8) | value;
            }
            return binary;
        }
        var trimmed = field.Trim(" \0"u8);
        long result = 0;
        foreach (byte digit in trimmed)
        {
            if (digit is < (byte)'0' or > (byte)'7') throw new InvalidDataException($"Tar {what} field is not octal.");
            if (result > (long.MaxValue >> 3)) throw new InvalidDataException($"Tar {what} field overflows.");
            result = (result << 3) | (long)(digit - '0');
        }
        return result;
    }

    private static string CString(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? field : field[..end]);
    }
}
