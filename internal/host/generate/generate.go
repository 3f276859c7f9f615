// Package generate is llama2.c's text generation and chat loops: prompt
// encoding, forced prompt tokens, sampling, and printing each piece as
// run.c prints it, so that our stdout equals run.c's byte for byte.
package generate

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/retrollama/retrollama/internal/host/model"
	"github.com/retrollama/retrollama/internal/host/sampler"
	"github.com/retrollama/retrollama/internal/host/tokenizer"
)

// Session bundles what both loops need. Out receives the generated text;
// it is flushed after every piece when it is a *bufio.Writer, as run.c
// flushes stdout.
type Session struct {
	Model     *model.Transformer
	Tokenizer *tokenizer.Tokenizer
	Sampler   *sampler.Sampler
	Out       io.Writer
}

// Stats reports the speed of a run the way run.c measures it: the clock
// starts after the first token is printed, so the prompt's first forward
// pass is not counted.
type Stats struct {
	Positions int           // forward passes run (run.c's final pos)
	Elapsed   time.Duration // time from the first printed token to the end
}

// TokensPerSecond is run.c's "achieved tok/s"; it is meaningful only when
// Positions > 1.
func (s Stats) TokensPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Positions-1) / s.Elapsed.Seconds()
}

// Generate continues prompt for up to steps positions (prompt tokens
// included), stopping early at BOS as run.c does.
func (g *Session) Generate(prompt string, steps int) (Stats, error) {
	tokens, err := g.Tokenizer.Encode(prompt, true, false)
	if err != nil {
		return Stats{}, fmt.Errorf("encode prompt: %w", err)
	}
	var start time.Time
	token, pos := tokens[0], 0
	for pos < steps {
		logits, err := g.Model.Forward(token, pos)
		if err != nil {
			return Stats{}, err
		}
		var next int
		if pos < len(tokens)-1 {
			next = tokens[pos+1]
		} else if next, err = g.Sampler.Sample(logits); err != nil {
			return Stats{}, err
		}
		pos++
		if next == tokenizer.BOS {
			break
		}
		if err := g.print(token, next); err != nil {
			return Stats{}, err
		}
		token = next
		if start.IsZero() {
			start = time.Now()
		}
	}
	if _, err := io.WriteString(g.Out, "\n"); err != nil {
		return Stats{}, err
	}
	stats := Stats{Positions: pos}
	if !start.IsZero() {
		stats.Elapsed = time.Since(start)
	}
	return stats, g.flush()
}

// print writes the piece for next (decoded after prev) as run.c's
// safe_printf does, and flushes.
func (g *Session) print(prev, next int) error {
	if piece := tokenizer.Printable(g.Tokenizer.Decode(prev, next)); piece != nil {
		if _, err := g.Out.Write(piece); err != nil {
			return err
		}
	}
	return g.flush()
}

func (g *Session) flush() error {
	if f, ok := g.Out.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

// Chat runs run.c's chat loop: Llama-2 [INST] templates, user turns read
// from in (one line each, at most 511 bytes as run.c's fgets), the
// assistant's reply streamed until it samples EOS. systemPrompt and
// userPrompt, when non-nil, replace the first reads from in. Where run.c
// would reuse a stale buffer at end of input, Chat ends the conversation.
func (g *Session) Chat(in *bufio.Reader, userPrompt, systemPrompt *string, steps int) error {
	var (
		system, user string
		tokens       []int
		userIdx      int
		userTurn     = true
		next, token  int
	)
	for pos := 0; pos < steps; {
		if userTurn {
			if pos == 0 {
				if systemPrompt == nil {
					line, _, err := g.readLine(in, "Enter system prompt (optional): ")
					if err != nil {
						return err
					}
					system = line
				} else {
					system = *systemPrompt
				}
			}
			if pos == 0 && userPrompt != nil {
				user = *userPrompt
			} else {
				line, ok, err := g.readLine(in, "User: ")
				if err != nil {
					return err
				}
				if !ok {
					break // end of input: the user has left
				}
				user = line
			}
			var rendered string
			if pos == 0 && system != "" {
				rendered = "[INST] <<SYS>>\n" + system + "\n<</SYS>>\n\n" + user + " [/INST]"
			} else {
				rendered = "[INST] " + user + " [/INST]"
			}
			var err error
			if tokens, err = g.Tokenizer.Encode(rendered, true, false); err != nil {
				return fmt.Errorf("encode chat prompt: %w", err)
			}
			userIdx, userTurn = 0, false
			if _, err := io.WriteString(g.Out, "Assistant: "); err != nil {
				return err
			}
		}

		if userIdx < len(tokens) {
			token = tokens[userIdx]
			userIdx++
		} else {
			token = next
		}
		if token == tokenizer.EOS {
			userTurn = true
		}

		logits, err := g.Model.Forward(token, pos)
		if err != nil {
			return err
		}
		if next, err = g.Sampler.Sample(logits); err != nil {
			return err
		}
		pos++

		if userIdx >= len(tokens) && next != tokenizer.EOS {
			if err := g.print(token, next); err != nil {
				return err
			}
		}
		if next == tokenizer.EOS {
			if _, err := io.WriteString(g.Out, "\n"); err != nil {
				return err
			}
		}
	}
	if _, err := io.WriteString(g.Out, "\n"); err != nil {
		return err
	}
	return g.flush()
}

// readLine prints guide and reads one line as run.c's read_stdin: at most
// 511 bytes, the trailing newline removed. ok is false at end of input
// with nothing read.
func (g *Session) readLine(in *bufio.Reader, guide string) (line string, ok bool, err error) {
	if _, err := io.WriteString(g.Out, guide); err != nil {
		return "", false, err
	}
	if err := g.flush(); err != nil {
		return "", false, err
	}
	const maxLine = 511 // run.c's 512-byte buffer, less the NUL
	var buf []byte
	for len(buf) < maxLine {
		b, err := in.ReadByte()
		if err == io.EOF {
			return string(buf), len(buf) > 0, nil
		}
		if err != nil {
			return "", false, fmt.Errorf("read input: %w", err)
		}
		if b == '\n' {
			return string(buf), true, nil
		}
		buf = append(buf, b)
	}
	return string(buf), true, nil
}
