/* resources.S — what tcpfsm-player writes into every page, built into the program: the
 * page's template (this directory) and, made from spec/tcp.fsm at build time (player.mk),
 * fsmc's two diagrams as Graphviz draws them and fsmc's JSON of the machine. Each is a
 * NUL-terminated string; the assembler finds the files on its -I path. */
#define RESOURCE(name, file) \
    .global name;            \
    .type name, %object;     \
name:                        \
    .incbin file;            \
    .byte 0;                 \
    .size name, . - name

    .section .rodata
RESOURCE(player_html, "player.html")
RESOURCE(player_css, "player.css")
RESOURCE(player_js, "player.js")
RESOURCE(player_overview_svg, "tcp-overview.svg")
RESOURCE(player_full_svg, "tcp.svg")
RESOURCE(player_table_json, "tcp.json")

    .section .note.GNU-stack, "", %progbits
