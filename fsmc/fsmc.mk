# fsmc — the state-machine compiler. Generated flex/bison sources go under $(OBJ)/fsmc/.
# The compiler is a library (every source but main.c: build/obj/fsmc/libfsmc.a, used by the
# fsmc program, the tests and the fuzz harness) and a thin main.c.
FSMC_LIB_SRCS := fsmc.c diag.c model.c checks.c coverage.c emit_c_common.c emit_c_table.c \
                 emit_c_switch.c emit_stubs.c view.c emit_dot.c emit_mermaid.c emit_json.c
FSMC_LIB_OBJS := $(addprefix $(OBJ)/fsmc/,$(FSMC_LIB_SRCS:.c=.o)) $(OBJ)/fsmc/parser.o \
                 $(OBJ)/fsmc/lexer.o
FSMC_LIB  := $(OBJ)/fsmc/libfsmc.a
FSMC_OBJS := $(OBJ)/fsmc/main.o $(FSMC_LIB)
FSMC_HDRS := fsmc/fsmc.h fsmc/emit_c.h fsmc/view.h
# flex/bison output trips warnings we cannot fix in generated code
FSMC_GEN_CFLAGS := -Wno-unused-function -Wno-sign-compare -Wno-unused-parameter -Wno-missing-prototypes -Wno-missing-field-initializers

ALL_TARGETS += $(BIN)/fsmc

$(FSMC_LIB): $(FSMC_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN)/fsmc: $(FSMC_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(FSMC_OBJS)

# one bison run makes both files (a grouped target: GNU make 4.3)
$(OBJ)/fsmc/parser.c $(OBJ)/fsmc/parser.h &: fsmc/parser.y
	@mkdir -p $(OBJ)/fsmc
	bison -Wall -Werror --defines=$(OBJ)/fsmc/parser.h -o $(OBJ)/fsmc/parser.c $<

$(OBJ)/fsmc/lexer.c: fsmc/lexer.l
	@mkdir -p $(OBJ)/fsmc
	flex -o $@ $<

$(OBJ)/fsmc/parser.o: $(OBJ)/fsmc/parser.c $(FSMC_HDRS)
	$(CC) $(CPPFLAGS) -Ifsmc $(CFLAGS) $(FSMC_GEN_CFLAGS) -c -o $@ $<

$(OBJ)/fsmc/lexer.o: $(OBJ)/fsmc/lexer.c $(OBJ)/fsmc/parser.h $(FSMC_HDRS)
	$(CC) $(CPPFLAGS) -Ifsmc -I$(OBJ)/fsmc $(CFLAGS) $(FSMC_GEN_CFLAGS) -c -o $@ $<

# the release's version, from runtime/tcpfsm.h (the Makefile's VERSION)
$(OBJ)/fsmc/main.o: CPPFLAGS += -DFSMC_VERSION='"$(VERSION)"'

$(OBJ)/fsmc/%.o: fsmc/%.c $(FSMC_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Ifsmc $(CFLAGS) -c -o $@ $<

