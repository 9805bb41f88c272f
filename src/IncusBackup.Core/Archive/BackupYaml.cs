using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace IncusBackup.Archive;

/// <summary>
/// Loads and saves the YAML files inside a backup with YamlDotNet's node model, so keys this code does not know survive
/// a rewrite. Saving keeps scalar styles; an unchanged Incus backup.yaml comes out byte-identical.
/// </summary>
internal static partial class BackupYaml
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Long lines must not be folded; "\n" whatever the OS; sequences unindented like Go's yaml.v2.
    private static readonly EmitterSettings Settings = new EmitterSettings().WithBestWidth(int.MaxValue).WithNewLine("\n");

    public static string Decode(byte[] utf8, string entryPath)
    {
        try
        {
            return StrictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException ex)
        {
            throw new InvalidDataException($"{entryPath} in the backup is not UTF-8 text.", ex);
        }
    }

    public static byte[] Encode(string text) => StrictUtf8.GetBytes(text);

    public static YamlMappingNode Load(string text, string entryPath)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new InvalidDataException($"{entryPath} in the backup is not valid YAML: {ex.Message}", ex);
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException($"{entryPath} in the backup is not a single YAML mapping.");
        return root;
    }

    public static string Save(YamlMappingNode root)
    {
        using var text = new StringWriter { NewLine = "\n" };
        new YamlStream(new YamlDocument(root)).Save(new ImplicitDocumentEndEmitter(new Emitter(text, Settings)), assignAnchors: false);
        return text.ToString();
    }

    public static YamlMappingNode? Mapping(YamlMappingNode parent, string key) =>
        parent.Children.TryGetValue(key, out var node) ? node as YamlMappingNode : null;

    public static YamlScalarNode? Scalar(YamlMappingNode parent, string key) =>
        parent.Children.TryGetValue(key, out var node) ? node as YamlScalarNode : null;

    public static string? Text(YamlMappingNode parent, string key) => Scalar(parent, key)?.Value;

    public static IEnumerable<T> Items<T>(YamlMappingNode parent, string key) where T : YamlNode =>
        parent.Children.TryGetValue(key, out var node) && node is YamlSequenceNode sequence ? sequence.Children.OfType<T>() : [];

    /// <summary>Replaces a scalar's text, quoting it when plain style would make YAML read it as a number, bool or null.</summary>
    public static void SetText(YamlScalarNode node, string value)
    {
        node.Value = value;
        if (node.Style is ScalarStyle.Any or ScalarStyle.Plain && !IsPlainString(value)) node.Style = ScalarStyle.DoubleQuoted;
    }

    private static bool IsPlainString(string value) => SafePlainName().IsMatch(value) && !YamlKeyword().IsMatch(value);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.-]*$")]
    private static partial Regex SafePlainName();

    // YAML 1.1 words (Go's yaml.v2) that plain style would turn into bools or null.
    [GeneratedRegex("^(y|n|yes|no|true|false|on|off|null)$", RegexOptions.IgnoreCase)]
    private static partial Regex YamlKeyword();

    /// <summary>Drops the "..." document-end marker YamlStream.Save writes, so output looks like the server's.</summary>
    private sealed class ImplicitDocumentEndEmitter(IEmitter inner) : IEmitter
    {
        public void Emit(ParsingEvent @event) => inner.Emit(@event is DocumentEnd ? new DocumentEnd(isImplicit: true) : @event);
    }
}
