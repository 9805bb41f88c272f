using System.Text;
using System.Text.RegularExpressions;

namespace IncusBackup;

/// <summary>PowerShell-style wildcards (*, ?, [abc]) for the engine, which cannot use WildcardPattern.</summary>
public sealed class Wildcard
{
    private readonly Regex _regex;

    public Wildcard(string pattern)
    {
        Pattern = pattern;
        var sb = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*': sb.Append(".*"); break;
                case '?': sb.Append('.'); break;
                case '`' when i + 1 < pattern.Length:
                    sb.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                case '[':
                    var close = pattern.IndexOf(']', i + 1);
                    if (close > i + 1)
                    {
                        sb.Append('[').Append(pattern[(i + 1)..close].Replace("\\", "\\\\")).Append(']');
                        i = close;
                    }
                    else sb.Append("\\[");
                    break;
                default: sb.Append(Regex.Escape(c.ToString())); break;
            }
        }
        _regex = new Regex(sb.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }

    public string Pattern { get; }

    public bool IsMatch(string value) => _regex.IsMatch(value);

    public static bool HasWildcards(string pattern) => pattern.AsSpan().IndexOfAny("*?[") >= 0;
}
