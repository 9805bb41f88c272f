using YamlDotNet.RepresentationModel;

namespace IncusBackup.Tests.Core.Archive;

/// <summary>Reads values out of YAML by path ("container", "devices", "root", "pool"; numbers index sequences).</summary>
internal static class YamlProbe
{
    public static YamlNode Node(string yaml, params string[] path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        YamlNode node = stream.Documents[0].RootNode;
        foreach (string step in path)
        {
            node = node switch
            {
                YamlMappingNode mapping => mapping.Children[new YamlScalarNode(step)],
                YamlSequenceNode sequence => sequence.Children[int.Parse(step, System.Globalization.CultureInfo.InvariantCulture)],
                _ => throw new InvalidOperationException($"Cannot step into '{step}'."),
            };
        }
        return node;
    }

    public static string? Value(string yaml, params string[] path) => ((YamlScalarNode)Node(yaml, path)).Value;

    public static string[] Values(string yaml, params string[] path) =>
        [.. ((YamlSequenceNode)Node(yaml, path)).Children.Cast<YamlScalarNode>().Select(node => node.Value ?? "")];
}
